package mount

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// MakeLink makes p a symbolic link to to, in p's parent opened from the
// root of roots that holds p through no symbolic link (with no roots, as
// its path says): a directory on the way swapped for a link, by a
// container that can write there, cannot have the link made elsewhere. A
// link to to already at p is kept; anything else there fails the call.
func MakeLink(p, to string, roots []string) error {
	parent, err := openParent(p, roots)
	if err != nil {
		return fmt.Errorf("link %s: %w", p, err)
	}
	defer parent.Close()
	fd, name := int(parent.Fd()), filepath.Base(p)
	err = unix.Symlinkat(to, fd, name)
	if errors.Is(err, unix.EEXIST) {
		buf := make([]byte, len(to)+1)
		if n, rerr := unix.Readlinkat(fd, name, buf); rerr == nil && n == len(to) && string(buf[:n]) == to {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("link %s to %s: %w", p, to, err)
	}
	return nil
}
