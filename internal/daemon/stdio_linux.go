package daemon

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// pollable returns f as a file the Go runtime's poller serves, so that
// closing it ends a read or write blocked on it: a descriptor inherited
// as stdin or stdout is blocking, and a blocked read(2) on it outlives a
// Close, which would keep the daemon from stopping on SIGTERM while the
// host holds its end open. Anything but an *os.File, or a descriptor that
// cannot be made non-blocking, is returned as it is.
func pollable[T io.Closer](c T, name string) T {
	f, ok := any(c).(*os.File)
	if !ok {
		return c
	}
	fd := f.Fd() // leaves it blocking; set it back below
	if err := unix.SetNonblock(int(fd), true); err != nil {
		return c
	}
	nf, ok := any(os.NewFile(fd, name)).(T)
	if !ok {
		return c
	}
	return nf
}
