package mount

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// MakeDirs creates the directory p and its missing parents and returns
// the directories it made, parents first (also when it fails part way),
// so that a caller whose operation fails can remove them (RemoveMade).
// Below the root of roots that holds p nothing is followed
// (MkdirBelowMade); that root, the GCS's own, is made as os.MkdirAll
// would, and is not returned. With no roots, p is made as os.MkdirAll
// would and nothing is returned.
func MakeDirs(p string, roots []string, perm uint32) ([]string, error) {
	if err := CheckPath(p); err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	if len(roots) == 0 {
		if err := os.MkdirAll(p, os.FileMode(perm)); err != nil {
			return nil, fmt.Errorf("create %s: %w", p, err)
		}
		return nil, nil
	}
	if slices.Contains(roots, p) {
		// An allowed root itself (a target's parent that is a root not
		// made yet, as /run/mounts in a fresh VM): the GCS's own, kept.
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, fmt.Errorf("create allowed root %s: %w", p, err)
		}
		return nil, nil
	}
	root, err := RootOf(p, roots)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create allowed root %s: %w", root, err)
	}
	return MkdirBelowMade(root, p, perm)
}

// RemoveMade removes dirs, directories MakeDirs made with the same roots
// (parents first), innermost first. Each goes only if it is still an
// empty directory, reached from its root through no symbolic link: one
// that holds anything, or was swapped for a link or a file, stays and is
// reported. A directory already gone is not an error.
func RemoveMade(dirs []string, roots []string) error {
	var errs []error
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := removeEntry(dirs[i], roots, false); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RemoveMountPoint removes target, a mount point its caller made: an
// empty directory or a symbolic link (never what it points to), reached
// from the root of roots that holds it through no link. Anything else
// there stays and is reported; a missing target is not an error.
func RemoveMountPoint(target string, roots []string) error {
	return removeEntry(target, roots, true)
}

// removeEntry removes p if it is an empty directory, or a symbolic link
// when link is set, through a descriptor of its parent opened without
// following links below the root of roots (with no roots, the parent is
// trusted).
func removeEntry(p string, roots []string, link bool) error {
	parent, err := openParent(p, roots)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	defer parent.Close()
	fd, name := int(parent.Fd()), filepath.Base(p)
	var st unix.Stat_t
	if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); errors.Is(err, unix.ENOENT) {
		return nil
	} else if err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFDIR:
		err = unix.Unlinkat(fd, name, unix.AT_REMOVEDIR)
	case st.Mode&unix.S_IFMT == unix.S_IFLNK && link:
		err = unix.Unlinkat(fd, name, 0)
	default:
		return fmt.Errorf("remove %s: not a directory the GCS made: left in place", p)
	}
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

// openParent opens p's parent directory as an O_PATH descriptor: from the
// root of roots that holds p through no symbolic link (OpenDirBelow), or,
// with no roots, as its path says.
func openParent(p string, roots []string) (*os.File, error) {
	if err := CheckPath(p); err != nil {
		return nil, err
	}
	if p == "/" {
		return nil, errors.New("refusing /")
	}
	if len(roots) == 0 {
		fd, err := unix.Open(filepath.Dir(p), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", filepath.Dir(p), err)
		}
		return os.NewFile(uintptr(fd), filepath.Dir(p)), nil
	}
	root, err := RootOf(p, roots)
	if err != nil {
		return nil, err
	}
	return OpenDirBelow(root, filepath.Dir(p))
}
