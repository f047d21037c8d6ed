package mount

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// MkdirBelow creates the directory p and its missing parents below the
// existing directory root, walking one component at a time from root with
// openat(O_NOFOLLOW): a symbolic link anywhere below root (even one swapped
// in during the walk) fails the call, so nothing is ever created outside
// root. Directories it creates get mode perm exactly (no umask); existing
// ones are kept as they are. p == root only checks root.
func MkdirBelow(root, p string, perm uint32) error {
	_, err := MkdirBelowMade(root, p, perm)
	return err
}

// MkdirBelowMade is MkdirBelow that also returns the directories it
// created itself, parents first (also when it fails part way), so that a
// caller whose operation fails can remove them and nothing else.
func MkdirBelowMade(root, p string, perm uint32) (made []string, err error) {
	if err := checkAtOrBelow("create", root, p); err != nil {
		return nil, err
	}
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("create %s: open %s: %w", p, root, err)
	}
	defer func() { unix.Close(fd) }()
	rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
	if rel == "" {
		return nil, nil
	}
	cur := root
	for _, name := range strings.Split(rel, "/") {
		cur += "/" + name
		fresh := false
		err := unix.Mkdirat(fd, name, 0o700)
		switch {
		case err == nil:
			fresh = true
			made = append(made, cur)
		case !errors.Is(err, unix.EEXIST):
			return made, fmt.Errorf("create %s: %w", cur, err)
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				return made, fmt.Errorf("create %s: %s is not a directory or is a symbolic link: refused", p, cur)
			}
			return made, fmt.Errorf("create %s: open %s: %w", p, cur, err)
		}
		if fresh {
			if err := unix.Fchmod(next, perm); err != nil {
				unix.Close(next)
				return made, fmt.Errorf("create %s: chmod %s: %w", p, cur, err)
			}
		}
		unix.Close(fd)
		fd = next
	}
	return made, nil
}

// checkAtOrBelow refuses a root or p that is not a clean absolute path,
// and a p that is neither root nor below it; verb names the operation.
func checkAtOrBelow(verb, root, p string) error {
	if err := CheckPath(root); err != nil {
		return err
	}
	if err := CheckPath(p); err != nil {
		return err
	}
	if p != root && !Below(p, root) {
		return fmt.Errorf("%s %s: not below %s", verb, p, root)
	}
	return nil
}
