package mount

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// Target is a mount point opened by OpenTarget: its parent directory and
// the directory itself, as they were when they were checked. Operations
// through its paths reach them whatever their names lead to since (a
// directory on the way swapped for a link by a container that can write
// there).
type Target struct {
	parent, dir *os.File
	name        string
}

// OpenTarget opens the directory target, a mount point MakeTarget made:
// its parent below the root of roots that holds it through no symbolic
// link (OpenDirBelow), then target in it with O_NOFOLLOW. With no roots
// the parent is opened as its path says.
func OpenTarget(target string, roots []string) (*Target, error) {
	parent, err := openParent(target, roots)
	if err != nil {
		return nil, fmt.Errorf("open mount point %s: %w", target, err)
	}
	name := filepath.Base(target)
	fd, err := unix.Openat(int(parent.Fd()), name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		parent.Close()
		return nil, fmt.Errorf("open mount point %s: not a directory, or a symbolic link: %w", target, err)
	}
	return &Target{parent: parent, dir: os.NewFile(uintptr(fd), target), name: name}, nil
}

// Close releases the descriptors.
func (t *Target) Close() {
	t.dir.Close()
	t.parent.Close()
}

// Path is what mount(2) is given to mount on the directory opened.
func (t *Target) Path() string { return ProcPath(t.dir) }

// Detach detaches the mount made on the directory through Path, wherever
// the directory is now: umount(2) follows Path to the directory and, as
// for any path it is given, acts on the topmost mount there (the one made
// through Path: containers cannot mount). It is what undoes a mount when
// OpenMounted cannot reach it by name any more.
func (t *Target) Detach() error {
	if err := unix.Unmount(t.Path(), unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach mount at %s: %w", t.dir.Name(), err)
	}
	return nil
}

// OpenMounted opens what is now at the target's name in its parent, the
// root of the mount made there through Path, without following a link,
// and returns its path for operations on that mount (propagation,
// unmount) and a closer. Path itself names the directory under the
// mount, not the mount.
func (t *Target) OpenMounted() (string, func(), error) {
	fd, err := unix.Openat(int(t.parent.Fd()), t.name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("open mount at %s: %w", t.dir.Name(), err)
	}
	f := os.NewFile(uintptr(fd), t.dir.Name())
	var st unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_TYPE, &st); err != nil || st.Attributes&unix.STATX_ATTR_MOUNT_ROOT == 0 {
		f.Close()
		return "", nil, fmt.Errorf("open mount at %s: not the mount made there (%v)", t.dir.Name(), err)
	}
	return ProcPath(f), func() { f.Close() }, nil
}

// ProcPath names f's file through /proc/self/fd, which the kernel
// resolves to the file itself, not to what its path now leads to.
func ProcPath(f *os.File) string {
	return "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
}
