package stdio

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
)

// ConsoleSocket is a unix socket on which an OCI runtime started with
// --console-socket sends the pty master of a terminal process.
type ConsoleSocket struct {
	path string
	ln   *net.UnixListener
	dir  *os.File // the directory, when path reaches it through this descriptor
}

// maxSocketPath is the longest path a unix socket address holds
// (sun_path less its terminating NUL).
const maxSocketPath = 107

// NewConsoleSocket listens on a unix socket at a fresh path under dir.
// Where dir is too long for a socket address (a 64-hex container id below
// a long state root), the socket is still made in dir but named through
// this process's descriptor of it, /proc/PID/fd/N/NAME, which the runtime,
// a child of this process, resolves as well.
func NewConsoleSocket(dir string) (*ConsoleSocket, error) {
	var lastErr error
	for range 3 {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("name console socket: %w", err)
		}
		name := "pty-" + hex.EncodeToString(b[:]) + ".sock"
		s, err := listenConsole(dir, name)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, fmt.Errorf("listen on console socket: %w", lastErr)
}

// listenConsole listens on dir/name, reached through a descriptor of dir
// if the path is too long.
func listenConsole(dir, name string) (*ConsoleSocket, error) {
	s := &ConsoleSocket{path: filepath.Join(dir, name)}
	if len(s.path) > maxSocketPath {
		fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s for a console socket: %w", dir, err)
		}
		s.dir = os.NewFile(uintptr(fd), dir)
		s.path = "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/" + strconv.Itoa(fd) + "/" + name
		if len(s.path) > maxSocketPath {
			s.dir.Close()
			return nil, fmt.Errorf("console socket path %s is longer than %d bytes", s.path, maxSocketPath)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: s.path, Net: "unix"})
	if err != nil {
		if s.dir != nil {
			s.dir.Close()
		}
		return nil, err
	}
	ln.SetUnlinkOnClose(true)
	s.ln = ln
	return s, nil
}

// Path returns the socket's path, for the runtime's --console-socket.
func (s *ConsoleSocket) Path() string {
	return s.path
}

// ReceiveMaster accepts one connection and receives the pty master sent
// over it as SCM_RIGHTS (one descriptor, with its name as the message), and
// returns it as a console. ctx bounds the wait for the runtime.
func (s *ConsoleSocket) ReceiveMaster(ctx context.Context) (console.Console, error) {
	_ = s.ln.SetDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { _ = s.ln.SetDeadline(time.Unix(1, 0)) })
	conn, err := s.ln.AcceptUnix()
	stop()
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("accept on console socket %s: %w", s.path, err)
	}
	defer conn.Close()
	stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	fd, name, err := receiveFd(conn)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("receive pty master on %s: %w", s.path, err)
	}
	c, err := consoleFromFd(fd, name)
	if err != nil {
		return nil, fmt.Errorf("receive pty master on %s: %w", s.path, err)
	}
	return c, nil
}

// Close stops listening and removes the socket file.
func (s *ConsoleSocket) Close() error {
	err := s.ln.Close() // removes the file, through s.dir if it is open
	if s.dir != nil {
		s.dir.Close()
	}
	if err != nil {
		return fmt.Errorf("close console socket %s: %w", s.path, err)
	}
	return nil
}

// consoleFromFd wraps a received master descriptor, in blocking mode so
// that the console's Fd method never changes its mode (see NewPty).
func consoleFromFd(fd int, name string) (console.Console, error) {
	if err := setBlocking(fd); err != nil { // before NewFile, which looks at the mode
		_ = unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	c, err := console.ConsoleFromFile(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("received descriptor %q: %w", name, err)
	}
	return c, nil
}
