package hcsv2

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// madeTargets remembers the mount points (directories, or BlockDev links)
// that an Add of a disk, pmem device, share or combined layers created,
// with the parent directories it created for them, so that Remove deletes
// those and only those: a directory that was there before the Add is the
// host's, or anyone's, and stays.
type madeTargets struct {
	mu sync.Mutex
	// set maps each mount point the GCS made to the parent directories
	// it made for it, parents first.
	set map[string][]string
}

// missing reports whether target does not exist yet, so that an Add that
// succeeds will have made it.
func missing(target string) bool {
	_, err := os.Lstat(target)
	return errors.Is(err, fs.ErrNotExist)
}

// add records that the GCS made target, and the directories parents for
// it.
func (m *madeTargets) add(target string, parents []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.set == nil {
		m.set = make(map[string][]string)
	}
	m.set[target] = parents
}

// mountAt runs do, which makes target if it is missing, and keeps account
// of what it made. The missing parents of a missing target are made here
// first, below the allowed roots through no symbolic link, so that they
// are known: a target and parents made for a mount that then failed are
// removed at once, so that a failed Add leaves no directory behind; those
// made for a mount that succeeded are recorded for Remove (see release).
// A target outside the roots is left for do to refuse.
func (h *Host) mountAt(target string, do func() error) error {
	roots := h.opts.Devices.AllowedRoots
	fresh := missing(target)
	var parents []string
	if fresh && mount.CheckTarget(target, roots) == nil {
		var err error
		parents, err = mount.MakeDirs(filepath.Dir(target), roots, 0o755)
		if err != nil {
			h.removeMade(target, false, parents)
			return err
		}
	}
	if err := do(); err != nil {
		h.removeMade(target, fresh, parents)
		return err
	}
	if fresh {
		h.targets.add(target, parents)
	}
	return nil
}

// release removes target and the parents made for it if the GCS made it
// (see removeMade) and forgets it either way.
func (h *Host) release(target string) {
	h.targets.mu.Lock()
	parents, made := h.targets.set[target]
	delete(h.targets.set, target)
	h.targets.mu.Unlock()
	if made {
		h.removeMade(target, true, parents)
	}
}

// removeMade removes what the GCS made for a mount: target, if made is
// set (an empty directory or a link, never what it points to), then the
// parent directories made for it, innermost first, each only if empty.
// Nothing is reached through a symbolic link below the allowed roots; a
// directory that holds something (another mount point made since) or is
// still a mount point stays.
func (h *Host) removeMade(target string, made bool, parents []string) {
	roots := h.opts.Devices.AllowedRoots
	log := h.log.WithField("target", target)
	if made {
		if err := mount.RemoveMountPoint(target, roots); err != nil {
			log.WithError(err).Debug("mount point left in place")
			return
		}
	}
	if err := mount.RemoveMade(parents, roots); err != nil {
		log.WithError(err).Debug("directories made for the mount point left in place")
	}
}
