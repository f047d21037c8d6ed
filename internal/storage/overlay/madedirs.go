package overlay

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// madeDirs are the directories one Mount created, parents first, so that
// a Mount that fails can remove them and nothing else.
type madeDirs []string

// kernelDepth bounds how deep below a made directory remove looks for
// empty directories: overlayfs makes work/work (and work/index) in the
// work directory before some of its checks, so a refused mount may leave
// them there.
const kernelDepth = 2

// mkdirAll makes p and its missing parents, as os.MkdirAll, recording
// each directory it made itself (one made meanwhile by someone else is
// not recorded). It follows links: for a Mount without roots and for the
// GCS's own roots only; below roots makeDir uses mount.MkdirBelowMade.
func (m *madeDirs) mkdirAll(p string) error {
	var missing []string
	for cur := p; ; cur = filepath.Dir(cur) {
		_, err := os.Lstat(cur)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, cur)
		if cur == filepath.Dir(cur) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		err := unix.Mkdir(missing[i], 0o755)
		switch {
		case err == nil:
			*m = append(*m, missing[i])
		case errors.Is(err, unix.EEXIST):
		default:
			return &fs.PathError{Op: "mkdir", Path: missing[i], Err: err}
		}
	}
	return nil
}

// remove removes the made directories, deepest first, with the empty
// directories the kernel made in them; a directory that is no longer
// empty (or no longer a directory) stays, and no link is followed: each
// is opened relative to its parent with O_NOFOLLOW, and a parent below
// one of roots is reached from that root through no link (as
// mount.RemoveMade does), so that a directory on the way swapped for a
// link cannot lead the removal outside the roots.
func (m madeDirs) remove(roots []string) error {
	var errs []error
	for i := len(m) - 1; i >= 0; i-- {
		if err := removeEmpty(m[i], roots); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeEmpty removes directory p if it holds nothing but empty
// directories (kernelDepth deep).
func removeEmpty(p string, roots []string) error {
	parent, err := openParent(p, roots)
	if err != nil {
		return err
	}
	defer parent.Close()
	if err := removeEmptyAt(int(parent.Fd()), filepath.Base(p), kernelDepth); err != nil {
		return &fs.PathError{Op: "rmdir", Path: p, Err: err}
	}
	return nil
}

// openParent opens the parent of p, a made directory: from the root of
// roots p is below, through no link (mount.OpenDirBelow); with no roots,
// or for a root itself and what was made on the way to it (the GCS's
// own, made as os.MkdirAll would), as its path says, the parent itself
// not followed if a link.
func openParent(p string, roots []string) (*os.File, error) {
	dir := filepath.Dir(p)
	if root, err := mount.RootOf(p, roots); err == nil {
		return mount.OpenDirBelow(root, dir)
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// removeEmptyAt removes directory name of dirfd once it removed the empty
// directories in it, depth levels deep; what is not a directory is left.
func removeEmptyAt(dirfd int, name string, depth int) error {
	if depth > 0 {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		dir := os.NewFile(uintptr(fd), name)
		entries, _ := dir.ReadDir(-1) // a failed read leaves the Unlinkat below to fail
		for _, e := range entries {
			if e.IsDir() {
				removeEmptyAt(int(dir.Fd()), e.Name(), depth-1) // what stays makes the Unlinkat below fail
			}
		}
		dir.Close()
	}
	return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
}
