package stdio

import (
	"fmt"
	"os"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
)

// NewPty allocates a pseudo-terminal for a process the GCS starts itself
// (utility-VM processes with EmulateConsole). The caller opens slavePath
// for the process, makes the process a session leader with it as its
// controlling terminal, and closes its own copy once the process started.
//
// The master is a plain blocking file: calling its Fd method never changes
// the descriptor's mode, which a TTYRelay relies on.
func NewPty() (master console.Console, slavePath string, err error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", fmt.Errorf("open /dev/ptmx: %w", err)
	}
	f := os.NewFile(uintptr(fd), "/dev/ptmx")
	master, slavePath, err = console.NewPtyFromFile(f)
	if err != nil {
		_ = f.Close()
		return nil, "", fmt.Errorf("set up pty master: %w", err)
	}
	return master, slavePath, nil
}

// pollableDup duplicates f's descriptor in non-blocking mode and wraps it
// in an *os.File served by the Go poller, so that its reads and writes
// honour deadlines and are interrupted by Close. O_NONBLOCK is a property
// of the open file description, so f's own descriptor becomes
// non-blocking too: f must not be read or written directly afterwards.
func pollableDup(f console.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("duplicate %s: %w", f.Name(), err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("make %s non-blocking: %w", f.Name(), err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// setWinsize sets the window size of the terminal behind f without
// touching f's blocking mode.
func setWinsize(f *os.File, width, height uint16) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioctlErr error
	err = rc.Control(func(fd uintptr) {
		ioctlErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: height, Col: width})
	})
	if err != nil {
		return err
	}
	return ioctlErr
}
