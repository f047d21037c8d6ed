package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"path/filepath"
	"strconv"

	"github.com/sirupsen/logrus"
)

// The reserve of tasks kept from the pods cgroup (see podsPidsLimit).
const (
	// minPidsReserve is enough for the daemon's threads, a few runtime
	// invocations at once (runc is a Go program: a dozen threads each)
	// and the utility commands the daemon runs.
	minPidsReserve = 128
	// maxPidsReserve bounds the reserve on a VM with many tasks to give:
	// beyond it the daemon and its helpers do not need more.
	maxPidsReserve = 1024
)

// setPodsPidsLimit gives the pods cgroup a pids.max below the task limit of
// the machine, so that containers the host gave no pids limit (or a large
// one) cannot take every task: the daemon, the runtime invocations that
// create, exec into and kill containers and the utility commands all need
// to fork, and a daemon that cannot is a daemon that has lost every
// container. The reference sets no such limit. A limit the host sets on a
// container or pod applies below this one. Without a pids controller there
// is nothing to set (logged).
func (m *Manager) setPodsPidsLimit() error {
	mnt, ok := m.pidsMount()
	if !ok {
		m.log.Warn("no pids controller: containers' task count is not bounded")
		return nil
	}
	total, err := m.taskLimit(mnt)
	if err != nil {
		return fmt.Errorf("derive the task limit of the machine: %w", err)
	}
	limit := podsPidsLimit(total)
	file := filepath.Join(mnt, m.podsPath(), "pids.max")
	err = writeFile(file, strconv.FormatUint(limit, 10))
	if errors.Is(err, fs.ErrNotExist) && m.sys.l.v2 {
		// The pids controller is not available to pods.
		m.log.Warn("no pids controller on pods: containers' task count is not bounded")
		return nil
	}
	if err != nil {
		return fmt.Errorf("set pods pids limit to %d: %w", limit, err)
	}
	m.log.WithFields(logrus.Fields{"task-limit": total, "pods-pids-limit": limit, "pids-reserve": total - limit}).
		Info("pods pids limit set")
	return nil
}

// pidsMount is the hierarchy of the pids controller: the unified one in
// v2 mode, v1's pids hierarchy otherwise.
func (m *Manager) pidsMount() (string, bool) {
	if m.sys.l.v2 {
		return m.sys.l.unified, true
	}
	h, ok := m.sys.l.controller("pids")
	return h.mount, ok
}

// taskLimit is the number of tasks the daemon's subtree may hold at most:
// the least of the kernel's pid_max and threads-max and of the limits of
// the cgroups above it in the pids hierarchy mounted at mnt (see
// ancestorsPidsMax).
func (m *Manager) taskLimit(mnt string) (uint64, error) {
	limit, err := ancestorsPidsMax(mnt, m.parent)
	if err != nil {
		return 0, err
	}
	// The kernel-wide bounds: pid numbers, and threads (every task is one).
	for _, file := range []string{"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"} {
		v, err := readCount(file)
		if err != nil {
			return 0, err
		}
		limit = min(limit, v)
	}
	return limit, nil
}

// ancestorsPidsMax is the least pids.max of the cgroup parent and of each
// of its ancestors in the pids hierarchy mounted at mnt (a test or a
// nested set-up may limit those), math.MaxUint64 if none is limited.
func ancestorsPidsMax(mnt, parent string) (uint64, error) {
	limit := uint64(math.MaxUint64)
	for p := path.Clean(parent); ; p = path.Dir(p) {
		v, err := readCount(filepath.Join(mnt, p, "pids.max"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// The root cgroup has no pids.max, nor has a v2 cgroup
			// whose parent does not give it the controller.
		case err != nil:
			return 0, err
		default:
			limit = min(limit, v)
		}
		if p == "/" {
			return limit, nil
		}
	}
}

// readCount reads a file holding one count or "max" (unbounded).
func readCount(file string) (uint64, error) {
	data, err := readBuf(file, nil)
	if err != nil {
		return 0, err
	}
	v, err := parseLimit(data, math.MaxUint64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", file, err)
	}
	return v, nil
}

// podsPidsLimit is the pids limit of the pods cgroup for a machine that
// holds at most total tasks: total less a reserve for everything outside
// the containers, a quarter of total within [minPidsReserve,
// maxPidsReserve], but never more than half of total, so that containers
// still run on a machine with very few tasks to give.
func podsPidsLimit(total uint64) uint64 {
	reserve := min(max(total/4, minPidsReserve), maxPidsReserve, total/2)
	return max(total-reserve, 1)
}
