// Package overlay mounts a container's root file system from read-only
// layers and an optional writable scratch directory, as ModifySettings
// CombinedLayers asks.
package overlay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// Mount mounts an overlay at target whose lower layers are layers, first
// listed on top. With a scratch directory the overlay is writable, its upper
// and work directories being scratch/upper and scratch/work (created);
// without one it is read-only. A single layer without scratch is bind
// mounted read-only, since overlayfs needs two lower layers when it has no
// upper one. target is created if missing. When roots is not empty, every
// layer, the scratch and the target must be strictly below one of them with
// no symbolic link on the way, nor at the layer, scratch or target itself.
// A Mount that fails removes the directories it made (see madeDirs).
// What is mounted is what was checked, whatever the paths lead to since:
// the directories are opened once checked and the mount made through
// them (see held).
func Mount(layers []string, scratch, target string, roots []string) (err error) {
	if len(layers) == 0 {
		return errors.New("overlay: no layers")
	}
	for _, l := range layers {
		if err := checkDir(l, roots); err != nil {
			return fmt.Errorf("overlay layer: %w", err)
		}
		if fi, err := os.Stat(l); err != nil {
			return fmt.Errorf("overlay layer: %w", err)
		} else if !fi.IsDir() {
			return fmt.Errorf("overlay layer %s: not a directory", l)
		}
	}
	if err := checkDir(target, roots); err != nil {
		return fmt.Errorf("overlay target: %w", err)
	}
	var made madeDirs
	defer func() {
		if err != nil {
			if rmErr := made.remove(roots); rmErr != nil {
				err = errors.Join(err, fmt.Errorf("remove directories made for the overlay: %w", rmErr))
			}
		}
	}()
	var upper, work string
	if scratch != "" {
		if err := checkDir(scratch, roots); err != nil {
			return fmt.Errorf("overlay scratch: %w", err)
		}
		upper, work = filepath.Join(scratch, "upper"), filepath.Join(scratch, "work")
		for _, d := range []string{upper, work} {
			if err := makeDir(d, roots, &made); err != nil {
				return fmt.Errorf("create overlay scratch: %w", err)
			}
		}
	}
	if err := makeDir(target, roots, &made); err != nil {
		return fmt.Errorf("create overlay target: %w", err)
	}
	h, err := openHeld(layers, upper, work, target, roots)
	if err != nil {
		return err
	}
	defer h.close()
	if scratch == "" && len(layers) == 1 {
		return bindReadOnly(h.layers[0], h.target, target)
	}
	opts, shown := "lowerdir="+h.lowerdir(), "lowerdir="+strings.Join(layers, ":")
	var flags uintptr = unix.MS_RDONLY
	if scratch != "" {
		opts += ",upperdir=" + upper + ",workdir=" + mount.ProcPath(h.work)
		shown += ",upperdir=" + upper + ",workdir=" + work
		flags = 0
	}
	if err := unix.Mount("overlay", h.target.Path(), "overlay", flags, opts); err != nil {
		return fmt.Errorf("mount overlay at %s (%s): %w", target, shown, err)
	}
	if scratch != "" {
		if err := h.checkUpper(); err != nil {
			return errors.Join(err, h.target.Detach())
		}
	}
	return nil
}

// checkDir checks a path Mount uses: clean, absolute, below roots without
// a link, and free of the characters overlayfs reads specially in its
// options (':' splits lowerdir, ',' splits options, '\' escapes the next
// character and is dropped), so that the kernel opens the very path that
// was checked: with l\ink allowed it would open link instead.
func checkDir(p string, roots []string) error {
	if err := mount.CheckTarget(p, roots); err != nil {
		return err
	}
	if strings.ContainsAny(p, `:,\`) {
		return fmt.Errorf("%q: path contains ':', ',' or '\\'", p)
	}
	if len(roots) == 0 {
		return nil
	}
	fi, err := os.Lstat(p)
	if err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link", p)
	}
	return nil
}

// makeDir creates directory p (and its missing parents, recorded in
// made) and checks that it is one, reached through no link. Below roots
// it never follows a link while creating (mount.MkdirBelowMade), not even
// one swapped in meanwhile.
func makeDir(p string, roots []string, made *madeDirs) error {
	if len(roots) == 0 {
		if err := made.mkdirAll(p); err != nil {
			return err
		}
	} else {
		root, err := mount.RootOf(p, roots)
		if err != nil {
			return err
		}
		// The root is the GCS's own (it may not exist yet in a fresh
		// VM); below it nothing is followed.
		if err := made.mkdirAll(root); err != nil {
			return err
		}
		dirs, err := mount.MkdirBelowMade(root, p, 0o755)
		*made = append(*made, dirs...)
		if err != nil {
			return err
		}
	}
	if err := checkDir(p, roots); err != nil {
		return err
	}
	if fi, err := os.Lstat(p); err != nil {
		return err
	} else if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", p)
	}
	return nil
}

// bindReadOnly bind mounts the layer src read-only on the mount point at
// (target names it in errors).
func bindReadOnly(src *os.File, at *mount.Target, target string) error {
	if err := unix.Mount(mount.ProcPath(src), at.Path(), "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s at %s: %w", src.Name(), target, err)
	}
	p, done, err := at.OpenMounted()
	if err != nil {
		return errors.Join(fmt.Errorf("make %s read-only: %w", target, err), at.Detach())
	}
	defer done()
	if err := unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		return errors.Join(fmt.Errorf("make %s read-only: %w", target, err), at.Detach())
	}
	return nil
}

// Unmount unmounts target, which must be below one of roots (when not
// empty) with no symbolic link on the way; a link at target is not
// followed. A mount still busy after a short wait is detached, so it goes
// away once the last user of a dying container does. Nothing mounted there
// is not an error, so a repeated Remove succeeds as the reference's does.
func Unmount(ctx context.Context, target string, roots []string) error {
	if err := mount.CheckTarget(target, roots); err != nil {
		return fmt.Errorf("overlay target: %w", err)
	}
	if _, err := mount.Unmount(ctx, target); err != nil {
		return fmt.Errorf("overlay: %w", err)
	}
	return nil
}
