package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// rmdirTries bounds the retries of a busy rmdir: a cgroup stays busy for a
// moment after its last process died, while the kernel tears it down.
const rmdirTries = 12

// teardown undoes setup: the daemon leaves gcs, then gcs, an empty pods and
// the parent chain New created are removed in every hierarchy.
func (m *Manager) teardown() error {
	m.sys.files.closeAllSets()
	if m.sys.l == nil {
		return nil
	}
	var errs []error
	if m.sys.selfFrom != nil {
		if err := m.moveSelfBack(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, mnt := range m.sys.l.mounts() {
		for _, rel := range []string{m.gcsPath(), m.runtimePath()} {
			if err := rmdirRetry(filepath.Join(mnt, rel)); err != nil {
				errs = append(errs, err)
			}
		}
		pods := filepath.Join(mnt, m.podsPath())
		busy, err := hasChildCgroups(pods)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if busy {
			m.log.WithFields(logrus.Fields{"cgroup": pods}).Info("container cgroups remain; pods cgroup kept")
			continue
		}
		if err := rmdirRetry(pods); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := removeMadeParents(mnt, m.parent, m.sys.missingTop[mnt]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeMadeParents removes the empty directories of the cgroup path rel, up
// to top (the first one that did not exist before New); top == "" means none.
func removeMadeParents(mnt, rel, top string) error {
	if top == "" {
		return nil
	}
	for dir := rel; ; dir = path.Dir(dir) {
		full := filepath.Join(mnt, dir)
		busy, err := hasChildCgroups(full)
		if err != nil {
			return err
		}
		if busy {
			return nil
		}
		if err := rmdirRetry(full); err != nil {
			return err
		}
		if dir == top || dir == "/" {
			return nil
		}
	}
}

// remove removes the cgroup tree at p in every hierarchy.
func (m *Manager) remove(p string) error {
	m.sys.files.drop(p)
	var errs []error
	for _, mnt := range m.sys.l.mounts() {
		if err := rmTree(filepath.Join(mnt, p)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// rmTree removes a cgroup directory and its child cgroups, deepest first.
// A missing directory is fine. The tree is walked through directory fds, a
// child cgroup's path may be longer than PATH_MAX, and within the bounds of
// treeWalk; what cannot be removed does not keep the rest from being.
func rmTree(dir string) error {
	fd, err := openDirAt(unix.AT_FDCWD, dir)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: cutPath(dir), Err: err}
	}
	t := treeWalk{root: dir}
	t.children(fd, treeVisitor{post: func(parent int, name string) {
		if err := rmdirAt(parent, name); err != nil {
			t.fail("rmdir", err)
		}
	}})
	unix.Close(fd)
	if err := t.err(); err != nil {
		return err
	}
	return rmdirRetry(dir)
}

// rmdirRetry removes one cgroup directory, retrying while it is busy. A
// missing directory is fine.
func rmdirRetry(dir string) error {
	if err := rmdirAt(unix.AT_FDCWD, dir); err != nil {
		return &os.PathError{Op: "rmdir", Path: cutPath(dir), Err: err}
	}
	return nil
}

// rmdirAt removes the cgroup directory name relative to dirfd
// (unix.AT_FDCWD for a path), retrying while it is busy. A missing
// directory is fine.
func rmdirAt(dirfd int, name string) error {
	delay := time.Millisecond
	for i := 0; ; i++ {
		err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
		switch {
		case err == nil, errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case !errors.Is(err, unix.EBUSY) || i == rmdirTries-1 || holdsProcesses(dirfd, name):
			return err
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// hasChildCgroups reports whether a cgroup directory has child cgroups; a
// missing directory has none.
func hasChildCgroups(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("list cgroup %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			return true, nil
		}
	}
	return false, nil
}

// holdsProcesses reports whether live processes keep the cgroup name
// (relative to dirfd) busy, as opposed to dead ones the kernel has not
// finished releasing.
func holdsProcesses(dirfd int, name string) bool {
	fd, err := openFileAt(dirfd, name+"/cgroup.procs")
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	b, err := preadAll(fd, "cgroup.procs", nil)
	return err == nil && len(appendPids(nil, b)) > 0
}
