package mount

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// OpenDirBelow opens the existing directory p below the directory root
// as an O_PATH descriptor, walking one component at a time from root with
// openat(O_NOFOLLOW): a symbolic link, or anything but a directory,
// anywhere below root fails the call. The descriptor keeps naming that
// directory whatever later happens to its path (a container swapping it
// for a link), so that what is done through it (a bind mount of
// /proc/<pid>/fd/<n>) reaches that directory and nothing else.
func OpenDirBelow(root, p string) (*os.File, error) {
	if err := checkAtOrBelow("open", root, p); err != nil {
		return nil, err
	}
	const flags = unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Open(root, flags, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: open %s: %w", p, root, err)
	}
	cur := strings.TrimSuffix(root, "/") // "" for /, so that no name starts with //
	if rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/"); rel != "" {
		for _, name := range strings.Split(rel, "/") {
			cur += "/" + name
			next, err := unix.Openat(fd, name, flags, 0)
			unix.Close(fd)
			if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				return nil, fmt.Errorf("open %s: %s is not a directory or is a symbolic link: refused", p, cur)
			}
			if err != nil {
				return nil, fmt.Errorf("open %s: open %s: %w", p, cur, err)
			}
			fd = next
		}
	}
	return os.NewFile(uintptr(fd), p), nil
}

// OpenDir opens the existing directory p as an O_PATH descriptor: from
// the root of roots that holds p through no symbolic link (OpenDirBelow),
// or, with no roots, as its path says.
func OpenDir(p string, roots []string) (*os.File, error) {
	if len(roots) == 0 {
		if err := CheckPath(p); err != nil {
			return nil, err
		}
		fd, err := unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", p, err)
		}
		return os.NewFile(uintptr(fd), p), nil
	}
	root, err := RootOf(p, roots)
	if err != nil {
		return nil, err
	}
	return OpenDirBelow(root, p)
}
