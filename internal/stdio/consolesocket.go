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
}

// maxSocketPath is the longest path a unix socket address holds
// (sun_path less its terminating NUL).
const maxSocketPath = 107

// NewConsoleSocket listens on a unix socket at a fresh path under dir.
func NewConsoleSocket(dir string) (*ConsoleSocket, error) {
	var lastErr error
	for range 3 {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("name console socket: %w", err)
		}
		path := filepath.Join(dir, "pty-"+hex.EncodeToString(b[:])+".sock")
		if len(path) > maxSocketPath {
			return nil, fmt.Errorf("console socket path %s is longer than %d bytes", path, maxSocketPath)
		}
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err == nil {
			ln.SetUnlinkOnClose(true)
			return &ConsoleSocket{path: path, ln: ln}, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, fmt.Errorf("listen on console socket: %w", lastErr)
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
	if err := s.ln.Close(); err != nil {
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
