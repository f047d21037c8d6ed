package cgroup

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// SpawnInRuntimeCgroup runs start, which must fork on the calling goroutine
// (os/exec's Start does) and return the child's pid, so that the child is
// born in the runtime cgroup of the memory controller rather than moved
// there after it started. A child moved after the fact has already charged
// the daemon's cgroup with whatever it allocated first (runc copies its own
// binary into memory at start-up), and many such children at once get the
// daemon killed by its own memory limit.
//
// With cgroup v1 membership is per thread: start runs on a thread of the
// daemon's kept in the runtime cgroup (see spawner), or, should that one be
// unavailable, the calling OS thread is moved into the runtime cgroup for
// the fork and back afterwards. With cgroup v2
// the child is cloned straight into it (CLONE_INTO_CGROUP). Without a memory
// controller the child is moved right after start.
//
// It waits for the daemon's move into gcs first (see Options.MoveSelf),
// which would take the spawner's thread, or a calling thread moved for
// the fork, out of the runtime cgroup; if the move failed, start does not
// run and the error says why.
func (m *Manager) SpawnInRuntimeCgroup(cmd *exec.Cmd, start func() (int, error)) error {
	if err := m.Ready(); err != nil {
		return fmt.Errorf("spawn %s: %w", cmd.Path, err)
	}
	if m.sys.l.v2 {
		return m.spawnIntoV2(cmd, start)
	}
	h, ok := m.sys.l.controller("memory")
	if !ok {
		pid, err := start()
		if err == nil {
			if err := m.addRuntimeProcess(pid); err != nil {
				m.log.WithError(err).Warn("move child into the runtime cgroup")
			}
		}
		return err
	}
	handled, err := m.spawner.spawn(m, h.mount, m.runtimePath(), start)
	if handled {
		return err
	}
	m.log.WithError(err).Debug("spawning on the calling thread")
	runtime.LockOSThread()
	tid := unix.Gettid()
	home, err := threadCgroup(h.mount, m.sys.l, tid)
	if err != nil {
		runtime.UnlockOSThread()
		_, err := start()
		return err
	}
	into := filepath.Join(h.mount, m.runtimePath(), "tasks")
	if err := writeFile(into, strconv.Itoa(tid)); err != nil {
		runtime.UnlockOSThread()
		m.log.WithError(err).Warn("move spawning thread into the runtime cgroup")
		_, err := start()
		return err
	}
	_, startErr := start()
	back := filepath.Join(h.mount, home, "tasks")
	if err := writeFile(back, strconv.Itoa(tid)); err != nil {
		// Keep the thread locked: it is retired with this goroutine rather
		// than left to run other goroutines outside the daemon's cgroup.
		m.log.WithError(err).Error("move spawning thread back into its cgroup")
		return startErr
	}
	runtime.UnlockOSThread()
	return startErr
}

// threadCgroup returns the cgroup path of thread tid in the hierarchy
// mounted at mnt.
func threadCgroup(mnt string, l *layout, tid int) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/cgroup", tid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	paths, err := parseProcCgroup(f, l)
	if err != nil {
		return "", err
	}
	p, ok := paths[mnt]
	if !ok {
		return "", fmt.Errorf("thread %d has no cgroup in %s", tid, mnt)
	}
	return p, nil
}

// spawnIntoV2 clones the child directly into the runtime cgroup (kernel
// 5.7 and later), or moves it right after start when the cgroup cannot be
// opened.
func (m *Manager) spawnIntoV2(cmd *exec.Cmd, start func() (int, error)) error {
	dir, err := os.Open(filepath.Join(m.sys.l.unified, m.runtimePath()))
	if err != nil {
		pid, err := start()
		if err == nil {
			if err := m.addRuntimeProcess(pid); err != nil {
				m.log.WithError(err).Warn("move child into the runtime cgroup")
			}
		}
		return err
	}
	defer dir.Close()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD = true
	cmd.SysProcAttr.CgroupFD = int(dir.Fd())
	_, err = start()
	return err
}
