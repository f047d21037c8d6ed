package hcsv2

import (
	"errors"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// mountsUsing lists the mount points at or below any of dirs, and those of
// overlays whose upper or work directory is there (a rootfs mounted
// elsewhere on a scratch below dirs), deepest first.
func mountsUsing(dirs ...string) ([]string, error) {
	entries, err := mount.Entries()
	if err != nil {
		return nil, err
	}
	in := func(p string) bool {
		for _, d := range dirs {
			if p == d || mount.Below(p, d) {
				return true
			}
		}
		return false
	}
	var out []string
	for _, e := range entries {
		if in(e.Point) || e.FSType == "overlay" && overlayUses(e.SuperOptions, in) {
			out = append(out, e.Point)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, nil
}

// overlayUses reports whether an overlay's options name an upper or work
// directory for which in is true.
func overlayUses(opts string, in func(string) bool) bool {
	for _, o := range strings.Split(opts, ",") {
		for _, key := range []string{"upperdir=", "workdir="} {
			if v, ok := strings.CutPrefix(o, key); ok && in(v) {
				return true
			}
		}
	}
	return false
}

// unmountUsing detaches every mount mountsUsing lists, without following
// a symbolic link at a mount point.
func unmountUsing(dirs ...string) error {
	mps, err := mountsUsing(dirs...)
	if err != nil {
		return err
	}
	var errs []error
	for _, mp := range mps {
		err := unix.Unmount(mp, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		if err != nil && err != unix.EINVAL && err != unix.ENOENT {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
