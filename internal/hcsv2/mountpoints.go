package hcsv2

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// madeTargets remembers the mount points (directories, or BlockDev links)
// that an Add of a disk, pmem device, share or combined layers created,
// and the parent directories the GCS created for them, so that Remove
// deletes those and only those: a directory that was there before the Add
// is the host's, or anyone's, and stays.
//
// A parent directory may serve several mount points (two disks below
// /run/mounts/x, the first Add making x): it is not one Add's but the
// GCS's, and goes with the last mount point below it, whichever Add made
// it and in whatever order they are removed. Each made directory counts
// the Adds, done or in flight, whose mount point is below it; one whose
// count drops to zero is removed if it is empty. mu is held while
// directories are made and removed (never across a mount), so that a
// Remove never takes a parent an Add in flight has just made or found.
type madeTargets struct {
	mu sync.Mutex
	// targets maps each mount point an Add succeeded on to whether the
	// GCS made it.
	targets map[string]bool
	// dirs maps each directory the GCS made for mount points to the
	// number of Adds, done or in flight, whose mount point is below it.
	dirs map[string]int
}

// missing reports whether target does not exist yet, so that an Add that
// succeeds will have made it.
func missing(target string) bool {
	_, err := os.Lstat(target)
	return errors.Is(err, fs.ErrNotExist)
}

// madeAbove returns the made directories target is below, innermost
// first. m.mu is held.
func (m *madeTargets) madeAbove(target string) []string {
	var out []string
	for d := range m.dirs {
		if mount.Below(target, d) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// pin adds delta to the count of every made directory target is below.
// m.mu is held.
func (m *madeTargets) pin(target string, delta int) {
	for _, d := range m.madeAbove(target) {
		m.dirs[d] += delta
	}
}

// addDirs records dirs as made by the GCS, used by no Add yet. m.mu is
// held.
func (m *madeTargets) addDirs(dirs []string) {
	if m.dirs == nil {
		m.dirs = make(map[string]int)
	}
	for _, d := range dirs {
		m.dirs[d] += 0
	}
}

// mountAt runs do, which makes target if it is missing, and keeps account
// of what it made. The missing parents of a missing target are made here
// first, below the allowed roots through no symbolic link, so that they
// are known: a target and parents made for a mount that then failed are
// removed at once, so that a failed Add leaves no directory behind; those
// made for a mount that succeeded are recorded for Remove (see release).
// A target outside the roots is left for do to refuse.
func (h *Host) mountAt(target string, do func() error) error {
	m := &h.targets
	m.mu.Lock()
	fresh := missing(target)
	if fresh && mount.CheckTarget(target, h.opts.Devices.AllowedRoots) == nil {
		parents, err := mount.MakeDirs(filepath.Dir(target), h.opts.Devices.AllowedRoots, 0o755)
		m.addDirs(parents)
		if err != nil {
			h.sweep(target)
			m.mu.Unlock()
			return err
		}
	}
	m.pin(target, 1)
	m.mu.Unlock()

	err := do()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.pin(target, -1)
		h.removeMade(target, fresh)
		return err
	}
	if made, ok := m.targets[target]; ok {
		// A repeated Add of the same target (a BlockDev link already
		// there): one record, one pin, made if either made it.
		m.pin(target, -1)
		m.targets[target] = made || fresh
		return nil
	}
	if m.targets == nil {
		m.targets = make(map[string]bool)
	}
	m.targets[target] = fresh
	return nil
}

// release forgets target and, if the GCS made it, removes it; then it
// removes the parents made for mount points that no other Add uses any
// more (see removeMade).
func (h *Host) release(target string) {
	m := &h.targets
	m.mu.Lock()
	defer m.mu.Unlock()
	made, ok := m.targets[target]
	if !ok {
		return
	}
	delete(m.targets, target)
	m.pin(target, -1)
	h.removeMade(target, made)
}

// removeMade removes what the GCS made for a mount: target, if made is
// set (an empty directory or a link, never what it points to), then the
// made parent directories it is below (sweep). h.targets.mu is held.
func (h *Host) removeMade(target string, made bool) {
	if made {
		if err := mount.RemoveMountPoint(target, h.opts.Devices.AllowedRoots); err != nil {
			h.log.WithField("target", target).WithError(err).Debug("mount point left in place")
		}
	}
	h.sweep(target)
}

// sweep removes the made directories target is below that no Add uses
// any more, innermost first, each only if it is empty, and forgets them.
// Nothing is reached through a symbolic link below the allowed roots; a
// directory that holds something (a mount point the GCS did not make, a
// file) or is a mount point stays, and so do those above it.
// h.targets.mu is held.
func (h *Host) sweep(target string) {
	m := &h.targets
	for _, d := range m.madeAbove(target) {
		if m.dirs[d] > 0 {
			return
		}
		if err := mount.RemoveMade([]string{d}, h.opts.Devices.AllowedRoots); err != nil {
			h.log.WithField("target", target).WithError(err).Debug("directory made for mount points left in place")
			return
		}
		delete(m.dirs, d)
	}
}
