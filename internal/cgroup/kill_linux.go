package cgroup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// killPoll is how often kill looks again for processes left in the cgroup.
const killPoll = 10 * time.Millisecond

// kill SIGKILLs every process in the cgroup tree at p, in any hierarchy,
// until none is left or ctx ends. Where the kernel has cgroup.kill (cgroup2,
// Linux 5.14) the kernel kills the whole cgroup2 tree, however deep; the
// walk of each hierarchy kills what it reaches, and a part of the tree it
// cannot walk (too deep, too big) does not stop it from killing the rest.
func (m *Manager) kill(ctx context.Context, p string) error {
	var lastErr error
	for {
		m.killUnified(p)
		pids, walkErr := m.allPids(p)
		if len(pids) == 0 {
			if walkErr == nil || m.unpopulated(p) {
				return nil
			}
			return fmt.Errorf("processes may be left in cgroups not walked: %w", walkErr)
		}
		if err := m.signalMembers(p, pids); err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d processes left: %w", len(pids), errors.Join(ctx.Err(), walkErr, lastErr))
		case <-time.After(killPoll):
		}
	}
}

// killUnified writes cgroup.kill of the cgroup2 tree at p, which SIGKILLs
// every process in it and below. Its absence (an older kernel, a tree the
// runtime did not mirror in the hybrid cgroup2 mount) is not an error: the
// walk still signals what it finds.
func (m *Manager) killUnified(p string) {
	if m.sys.l.unified == "" {
		return
	}
	file := filepath.Join(m.sys.l.unified, p, "cgroup.kill")
	if err := writeFile(file, "1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		m.log.WithError(err).WithField("cgroup", p).Debug("cgroup.kill")
	}
}

// unpopulated reports whether the cgroup2 tree at p is known to hold no
// process, however deep: in v2 mode, from the "populated" key of its
// cgroup.events. In v1 mode a process may be in a v1 hierarchy only, so
// the answer is always false.
func (m *Manager) unpopulated(p string) bool {
	if !m.sys.l.v2 {
		return false
	}
	data, err := readBuf(filepath.Join(m.sys.l.unified, p, "cgroup.events"), nil)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	empty := false
	eachKV(data, func(key []byte, v uint64) {
		if bytes.Equal(key, []byte("populated")) {
			empty = v == 0
		}
	})
	return empty
}

// allPids lists the processes of the cgroup tree at p in every hierarchy: a
// process may have joined some of them only (a runtime killed while it
// moved it). A tree missing everywhere has none. The pids reached are
// returned with the walk's errors, if any.
func (m *Manager) allPids(p string) ([]uint32, error) {
	var all []uint32
	var errs []error
	for _, mnt := range m.sys.l.mounts() {
		pids, err := collectPids(filepath.Join(mnt, p))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
		}
		all = append(all, pids...)
	}
	slices.Sort(all)
	return slices.Compact(all), errors.Join(errs...)
}

// signalMembers SIGKILLs those of pids still in the tree at p. Each process
// is pinned by a pidfd before its membership is checked again, so a pid
// reused by a process elsewhere is never signalled. A process that cannot
// be signalled does not keep the others from being.
func (m *Manager) signalMembers(p string, pids []uint32) error {
	fds := make(map[uint32]int, len(pids))
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(int(pid), 0)
		if err != nil {
			continue // gone already
		}
		fds[pid] = fd
	}
	members, err := m.allPids(p)
	if err != nil {
		// The members reached are still killed; kill reports the walk.
		m.log.WithError(err).WithField("cgroup", p).Debug("walk cgroup tree to kill")
	}
	var first error
	failed := 0
	for _, pid := range members {
		fd, ok := fds[pid]
		if !ok {
			continue // joined since: the next round pins it
		}
		if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
			failed++
			if first == nil {
				first = fmt.Errorf("kill process %d: %w", pid, err)
			}
		}
	}
	if failed > 1 {
		return fmt.Errorf("%w (and %d more processes)", first, failed-1)
	}
	return first
}
