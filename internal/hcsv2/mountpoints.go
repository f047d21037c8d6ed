package hcsv2

import (
	"errors"
	"io/fs"
	"os"
	"sync"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// madeTargets remembers the mount points (directories, or BlockDev links)
// that an Add of a disk, pmem device, share or combined layers created, so
// that Remove deletes those and only those: a directory that was there
// before the Add is the host's, or anyone's, and stays.
type madeTargets struct {
	mu  sync.Mutex
	set map[string]bool
}

// missing reports whether target does not exist yet, so that an Add that
// succeeds will have made it.
func missing(target string) bool {
	_, err := os.Lstat(target)
	return errors.Is(err, fs.ErrNotExist)
}

// made records target as made by the GCS if it was missing before.
func (h *Host) made(wasMissing bool, target string) {
	if wasMissing {
		h.targets.add(target)
	}
}

// add records that the GCS made target.
func (m *madeTargets) add(target string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.set == nil {
		m.set = make(map[string]bool)
	}
	m.set[target] = true
}

// mountAt runs mount, which makes target if it is missing, and keeps
// account of what it made: a target made for a mount that then failed is
// removed at once, so that a failed Add leaves no mount point behind; one
// made for a mount that succeeded is recorded for Remove (see release).
func (h *Host) mountAt(target string, mount func() error) error {
	fresh := missing(target)
	if err := mount(); err != nil {
		if fresh {
			removeMountPoint(target, h.log)
		}
		return err
	}
	h.made(fresh, target)
	return nil
}

// release removes target if the GCS made it (see removeMountPoint) and
// forgets it either way.
func (m *madeTargets) release(target string, log *logrus.Entry) {
	m.mu.Lock()
	made := m.set[target]
	delete(m.set, target)
	m.mu.Unlock()
	if made {
		removeMountPoint(target, log)
	}
}

// removeMountPoint removes a mount point the GCS made: an empty directory
// or a link (never what it points to). A directory that is not empty, or
// still a mount point, stays.
func removeMountPoint(target string, log *logrus.Entry) {
	fi, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return
	case err != nil:
	case fi.Mode()&fs.ModeSymlink != 0:
		err = unix.Unlink(target)
	case fi.IsDir():
		err = unix.Rmdir(target)
	default:
		return // not what the GCS made there
	}
	if err != nil {
		log.WithError(err).WithField("target", target).Debug("mount point left in place")
	}
}
