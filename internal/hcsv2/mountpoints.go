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

// release removes target if the GCS made it: an empty directory or a link
// (never what it points to). A directory that is not empty, or still a
// mount point, stays, and is forgotten all the same.
func (m *madeTargets) release(target string, log *logrus.Entry) {
	m.mu.Lock()
	made := m.set[target]
	delete(m.set, target)
	m.mu.Unlock()
	if !made {
		return
	}
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
