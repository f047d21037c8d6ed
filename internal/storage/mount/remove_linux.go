package mount

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrMountPoint is returned by RemoveAll when it meets a mount point.
var ErrMountPoint = errors.New("is a mount point")

// RemoveAll removes path and everything below it, like os.RemoveAll, but
// it never follows a symbolic link (a link is removed, not its target)
// and never crosses into another mount: a mount point at or below path
// stops the removal of its branch and is reported (ErrMountPoint), so a
// file system still mounted there is left untouched. A missing path is
// not an error. path's parent directories are trusted: callers check them
// (CheckTarget). Where a parent may be written by someone else (a pod's
// shared directories), use RemoveAllBelow.
func RemoveAll(path string) error {
	if err := CheckPath(path); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	if path == "/" {
		return errors.New("remove: refusing to remove /")
	}
	parent, err := unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: open parent: %w", path, err)
	}
	defer unix.Close(parent)
	return removeAt(parent, filepath.Base(path), path, nil)
}

// RemoveAllBelow is RemoveAll for a path p strictly below the directory
// root whose parents are not trusted: it reaches p's parent from root one
// component at a time with openat(O_NOFOLLOW) (OpenDirBelow), so a
// symbolic link anywhere between root and p, even one swapped in by a
// container just before, fails the removal instead of redirecting it. A
// missing p, or a missing parent, is not an error.
func RemoveAllBelow(root, p string) error {
	if err := checkAtOrBelow("remove", root, p); err != nil {
		return err
	}
	if p == root {
		return fmt.Errorf("remove %s: refusing to remove the root itself", p)
	}
	parent, err := OpenDirBelow(root, filepath.Dir(p))
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	defer parent.Close()
	return removeAt(int(parent.Fd()), filepath.Base(p), p, nil)
}

// device identifies a file system (statx dev_major, dev_minor).
type device struct{ major, minor uint32 }

// removeAt removes name in directory dirfd; p is its full path, for
// errors. dev is the file system of the tree being removed (nil at the
// top): a directory on another one is a mount point even where the kernel
// does not report STATX_ATTR_MOUNT_ROOT (a btrfs subvolume counts as one).
func removeAt(dirfd int, name, p string, dev *device) error {
	var st unix.Statx_t
	err := unix.Statx(dirfd, name, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_TYPE, &st)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	here := device{st.Dev_major, st.Dev_minor}
	if st.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 && st.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0 ||
		dev != nil && here != *dev {
		return fmt.Errorf("remove %s: %w", p, ErrMountPoint)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		if err := unix.Unlinkat(dirfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("remove %s: %w", p, err)
		}
		return nil
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	dir := os.NewFile(uintptr(fd), p)
	defer dir.Close()
	var errs []error
	for {
		names, err := dir.Readdirnames(1024)
		for _, n := range names {
			if err := removeAt(fd, n, filepath.Join(p, n), &here); err != nil {
				errs = append(errs, err)
			}
		}
		if err != nil || len(names) == 0 {
			break
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}
