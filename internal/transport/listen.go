package transport

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// staleProbeTimeout bounds the connect used to tell a live unix socket from
// a stale one.
const staleProbeTimeout = time.Second

// Listen announces on a.
//
// For unix addresses the parent directory is created with mode 0700 if
// missing, and a stale socket file left behind by a dead listener is
// removed first; Listen refuses to remove anything that is not a socket or
// that still accepts connections. Closing the listener removes the socket
// file.
//
// For vsock addresses the CID is ignored: Listen binds the port on the local
// context ID. tcp addresses may use port 0 to let the kernel choose. stdio
// cannot be listened on.
func Listen(a Addr) (net.Listener, error) {
	l, err := listen(a)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", a, err)
	}
	return l, nil
}

// listen is Listen without the error context.
func listen(a Addr) (net.Listener, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	switch a.Network {
	case NetworkVsock:
		return listenVsock(a.Port)
	case NetworkUnix:
		if err := os.MkdirAll(filepath.Dir(a.Path), 0o700); err != nil {
			return nil, err
		}
		if err := removeStaleSocket(a.Path); err != nil {
			return nil, err
		}
		return listenUnix(a.Path)
	case NetworkTCP:
		return net.Listen("tcp", net.JoinHostPort(a.Host, strconv.FormatUint(uint64(a.Port), 10)))
	}
	return nil, errors.New("stdio cannot be listened on; use Stdio")
}

// listenUnix listens on path and makes Close remove the socket file.
func listenUnix(path string) (net.Listener, error) {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	l.SetUnlinkOnClose(true)
	return l, nil
}

// removeStaleSocket removes path if it is a unix socket nobody listens on.
// A missing path is fine; anything else at path is an error.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket (mode %v); refusing to remove it", path, fi.Mode())
	}
	c, err := net.DialTimeout("unix", path, staleProbeTimeout)
	if err == nil {
		_ = c.Close()
		return fmt.Errorf("socket %s is in use by a live listener: %w", path, syscall.EADDRINUSE)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("probe existing socket %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}
