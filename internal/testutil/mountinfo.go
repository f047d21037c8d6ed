package testutil

import (
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// mounts lists this namespace's mounts.
func mounts() ([]mount.Entry, error) { return mount.Entries() }

// isMountPoint reports whether path is a mount point in this namespace.
func isMountPoint(path string) (bool, error) {
	ms, err := mounts()
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if m.Point == path {
			return true, nil
		}
	}
	return false, nil
}
