package rootfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// Limits bound a read of a rootfs file.
type Limits struct {
	// MaxSize is the largest file read (DefaultMaxSize when 0).
	MaxSize int64
	// Timeout bounds the whole read (DefaultTimeout when 0).
	Timeout time.Duration
}

// DefaultMaxSize and DefaultTimeout are the limits a zero Limits means:
// far above any real /etc/passwd, far below what could hurt the GCS.
const (
	DefaultMaxSize = 4 << 20
	DefaultTimeout = 5 * time.Second
)

// ErrNotRegular is returned for a path that exists inside the rootfs but
// is not a regular file (a FIFO, a device, a directory, a socket).
var ErrNotRegular = errors.New("not a regular file")

func (l Limits) maxSize() int64 {
	if l.MaxSize > 0 {
		return l.MaxSize
	}
	return DefaultMaxSize
}

func (l Limits) timeout() time.Duration {
	if l.Timeout > 0 {
		return l.Timeout
	}
	return DefaultTimeout
}

// ReadFile returns the content of name (e.g. "/etc/passwd") resolved
// inside the directory root: a symbolic link is followed as if root were
// "/", so it never leads out of root. Only a regular file of at most
// l.MaxSize bytes is read, within l.Timeout and ctx. A missing file is an
// error satisfying errors.Is(err, fs.ErrNotExist).
func ReadFile(ctx context.Context, root, name string, l Limits) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout())
	defer cancel()
	type result struct {
		b   []byte
		err error
	}
	// A read of a regular file cannot be interrupted, but it cannot block
	// forever either; the bound keeps a pathological file system from
	// holding the caller, the read finishing on its own afterwards.
	done := make(chan result, 1)
	go func() {
		b, err := readFile(root, name, l.maxSize())
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("read %s in rootfs %s: %w", name, root, r.err)
		}
		return r.b, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("read %s in rootfs %s: %w", name, root, ctx.Err())
	}
}

func readFile(root, name string, maxSize int64) ([]byte, error) {
	handle, err := pathrs.OpenInRoot(root, name)
	if err != nil {
		return nil, err
	}
	defer handle.Close()
	// Check the type on the O_PATH handle before opening for reading:
	// opening a FIFO would block, a device could do anything.
	var st unix.Stat_t
	if err := unix.Fstat(int(handle.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%w (%s)", ErrNotRegular, typeName(st.Mode))
	}
	if st.Size > maxSize {
		return nil, fmt.Errorf("%d bytes, more than the limit of %d", st.Size, maxSize)
	}
	f, err := pathrs.Reopen(handle, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	// The same file, checked again on the descriptor actually read.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w (%s)", ErrNotRegular, fi.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > maxSize {
		return nil, fmt.Errorf("more than the limit of %d bytes", maxSize)
	}
	return b, nil
}

// typeName names the file type of a stat mode, for error messages.
func typeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFIFO:
		return "FIFO"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFLNK:
		return "symbolic link"
	}
	return fmt.Sprintf("mode %#o", mode&unix.S_IFMT)
}
