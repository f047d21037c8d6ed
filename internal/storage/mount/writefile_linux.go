package mount

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// tempAttempts bounds the fresh temporary names WriteFileAt tries.
const tempAttempts = 8

// WriteFileAt replaces the file name in the open directory dir (an O_PATH
// descriptor, as OpenDirBelow gives, is enough) with one holding data,
// mode perm exactly: the data goes to a fresh temporary name created
// O_CREAT|O_EXCL|O_NOFOLLOW, which is then renamed over name. Whatever was
// at name, a symbolic link included, is replaced, never followed or
// written into; a directory there fails the call. name is a single path
// component.
func WriteFileAt(dir *os.File, name string, data []byte, perm uint32) error {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return fmt.Errorf("write %q: not a file name", name)
	}
	dirfd := int(dir.Fd())
	tmp, f, err := createTemp(dirfd, name, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	err = fill(f, data, perm)
	if err == nil {
		err = unix.Renameat(dirfd, tmp, dirfd, name)
	}
	if err != nil {
		unix.Unlinkat(dirfd, tmp, 0)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// createTemp creates a file of a fresh name beside name in dirfd.
func createTemp(dirfd int, name string, perm uint32) (string, *os.File, error) {
	var lastErr error
	for range tempAttempts {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", nil, err
		}
		tmp := "." + name + ".tmp-" + hex.EncodeToString(b[:])
		fd, err := unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
		if err == nil {
			return tmp, os.NewFile(uintptr(fd), tmp), nil
		}
		if !errors.Is(err, unix.EEXIST) {
			return "", nil, fmt.Errorf("create temporary file: %w", err)
		}
		lastErr = err
	}
	return "", nil, fmt.Errorf("create temporary file: no free name: %w", lastErr)
}

// fill writes data to f, sets its mode to perm (which the umask may
// have narrowed at creation) and closes it.
func fill(f *os.File, data []byte, perm uint32) error {
	if err := unix.Fchmod(int(f.Fd()), perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
