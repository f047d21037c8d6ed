// Package overlay mounts a container's root file system from read-only
// layers and an optional writable scratch directory, as ModifySettings
// CombinedLayers asks.
package overlay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Mount mounts an overlay at target whose lower layers are layers, first
// listed on top. With a scratch directory the overlay is writable, its upper
// and work directories being scratch/upper and scratch/work (created);
// without one it is read-only. A single layer without scratch is bind
// mounted read-only, since overlayfs needs two lower layers when it has no
// upper one. target is created if missing.
func Mount(layers []string, scratch, target string) error {
	if len(layers) == 0 {
		return errors.New("overlay: no layers")
	}
	for _, l := range layers {
		if err := checkPath(l); err != nil {
			return fmt.Errorf("overlay layer: %w", err)
		}
		// overlayfs splits lowerdir on ':' and options on ',' with no way to
		// escape them, so such paths cannot be layers.
		if strings.ContainsAny(l, ":,") {
			return fmt.Errorf("overlay layer %q: path contains ':' or ','", l)
		}
		if fi, err := os.Stat(l); err != nil {
			return fmt.Errorf("overlay layer: %w", err)
		} else if !fi.IsDir() {
			return fmt.Errorf("overlay layer %s: not a directory", l)
		}
	}
	if err := checkPath(target); err != nil {
		return fmt.Errorf("overlay target: %w", err)
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("create overlay target: %w", err)
	}
	if scratch == "" && len(layers) == 1 {
		return bindReadOnly(layers[0], target)
	}
	opts := "lowerdir=" + strings.Join(layers, ":")
	if scratch != "" {
		if err := checkPath(scratch); err != nil {
			return fmt.Errorf("overlay scratch: %w", err)
		}
		if strings.ContainsAny(scratch, ":,") {
			return fmt.Errorf("overlay scratch %q: path contains ':' or ','", scratch)
		}
		upper, work := filepath.Join(scratch, "upper"), filepath.Join(scratch, "work")
		for _, d := range []string{upper, work} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("create overlay scratch: %w", err)
			}
		}
		opts += ",upperdir=" + upper + ",workdir=" + work
	}
	var flags uintptr
	if scratch == "" {
		flags |= unix.MS_RDONLY
	}
	if err := unix.Mount("overlay", target, "overlay", flags, opts); err != nil {
		return fmt.Errorf("mount overlay at %s (%s): %w", target, opts, err)
	}
	return nil
}

func bindReadOnly(src, target string) error {
	if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s at %s: %w", src, target, err)
	}
	if err := unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		unix.Unmount(target, unix.MNT_DETACH)
		return fmt.Errorf("make %s read-only: %w", target, err)
	}
	return nil
}

// Unmount unmounts target. Nothing mounted there is not an error, so a
// repeated Remove succeeds as the reference's does.
func Unmount(target string) error {
	if err := checkPath(target); err != nil {
		return fmt.Errorf("overlay target: %w", err)
	}
	for {
		err := unix.Unmount(target, 0)
		switch {
		case err == nil:
			continue // stacked mounts: peel every one
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EBUSY):
			// Still in use by a dying container: detach it so the
			// mount goes away once the last user does.
			if err := unix.Unmount(target, unix.MNT_DETACH); err != nil {
				return fmt.Errorf("unmount %s: %w", target, err)
			}
			return nil
		default:
			return fmt.Errorf("unmount %s: %w", target, err)
		}
	}
}

func checkPath(p string) error {
	if p == "" || !filepath.IsAbs(p) {
		return fmt.Errorf("%q is not an absolute path", p)
	}
	if filepath.Clean(p) != p {
		return fmt.Errorf("%q is not a clean path", p)
	}
	return nil
}
