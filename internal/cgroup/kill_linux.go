package cgroup

import (
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
// until none is left or ctx ends.
func (m *Manager) kill(ctx context.Context, p string) error {
	for {
		pids, err := m.allPids(p)
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		if err := m.signalMembers(p, pids); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d processes left: %w", len(pids), ctx.Err())
		case <-time.After(killPoll):
		}
	}
}

// allPids lists the processes of the cgroup tree at p in every hierarchy: a
// process may have joined some of them only (a runtime killed while it
// moved it). A tree missing everywhere has none.
func (m *Manager) allPids(p string) ([]uint32, error) {
	var all []uint32
	for _, mnt := range m.sys.l.mounts() {
		pids, err := collectPids(filepath.Join(mnt, p))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		all = append(all, pids...)
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}

// signalMembers SIGKILLs those of pids still in the tree at p. Each process
// is pinned by a pidfd before its membership is checked again, so a pid
// reused by a process elsewhere is never signalled.
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
		return err
	}
	for _, pid := range members {
		fd, ok := fds[pid]
		if !ok {
			continue // joined since: the next round pins it
		}
		if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("kill process %d: %w", pid, err)
		}
	}
	return nil
}
