package overlay

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
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
// is opened relative to its parent with O_NOFOLLOW.
func (m madeDirs) remove() error {
	var errs []error
	for i := len(m) - 1; i >= 0; i-- {
		if err := removeEmpty(m[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeEmpty removes directory p if it holds nothing but empty
// directories (kernelDepth deep).
func removeEmpty(p string) error {
	parent, err := unix.Open(filepath.Dir(p), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: filepath.Dir(p), Err: err}
	}
	defer unix.Close(parent)
	if err := removeEmptyAt(parent, filepath.Base(p), kernelDepth); err != nil {
		return &fs.PathError{Op: "rmdir", Path: p, Err: err}
	}
	return nil
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
