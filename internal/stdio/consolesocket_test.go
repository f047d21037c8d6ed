package stdio

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sendFds connects to path and sends msg with fds as SCM_RIGHTS, as an
// OCI runtime does with the pty master.
func sendFds(path, msg string, fds ...int) error {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return err
	}
	defer conn.Close()
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	_, _, err = conn.WriteMsgUnix([]byte(msg), oob, nil)
	return err
}

func TestConsoleSocketReceiveMaster(t *testing.T) {
	checkLeaks(t)
	s, err := NewConsoleSocket(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path()); err != nil {
		t.Fatalf("socket file: %v", err)
	}
	master, slavePath, err := NewPty()
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() {
		sent <- sendFds(s.Path(), "/dev/ptmx", int(master.Fd()))
		_ = master.Close() // the runtime's copy
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := s.ReceiveMaster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after Close: %v", err)
	}

	// The received master works: relay a process on its slave.
	h := newHost(t)
	c, hc := h.conns(false, true, false)
	r := NewTTYRelay(got, c, testLog(t))
	defer r.Close()
	if err := r.Resize(120, 40); err != nil {
		t.Fatal(err)
	}
	proc := startOnPty(t, slavePath, "stty", "size")
	r.Start()
	out := readAll(hc.stdout)
	if _, err := proc.Wait(); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, 5*time.Second, r.Wait)
	if o := string(recv(t, "stdout", out)); !strings.Contains(o, "40 120\r\n") {
		t.Errorf("output %q does not contain %q", o, "40 120\r\n")
	}
}

func TestConsoleSocketReceiveMasterErrors(t *testing.T) {
	tests := []struct {
		name    string
		send    func(t *testing.T, path string) error // nil: nobody connects
		wantErr string
	}{
		{
			name:    "no descriptor",
			send:    func(t *testing.T, path string) error { return sendFds(path, "/dev/ptmx") },
			wantErr: "got 0 descriptors",
		},
		{
			name:    "closed without a message",
			send:    func(t *testing.T, path string) error { return sendFds(path, "") },
			wantErr: "connection closed before a descriptor",
		},
		{
			name: "two descriptors",
			send: func(t *testing.T, path string) error {
				r, w := pipe(t)
				return sendFds(path, "x", int(r.Fd()), int(w.Fd()))
			},
			wantErr: "got 2 descriptors",
		},
		{
			name: "not a terminal",
			send: func(t *testing.T, path string) error {
				r, _ := pipe(t)
				return sendFds(path, "pipe", int(r.Fd()))
			},
			wantErr: "not a console",
		},
		{name: "context ends", wantErr: context.DeadlineExceeded.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			s, err := NewConsoleSocket(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			sent := make(chan error, 1)
			if tt.send != nil {
				go func() { sent <- tt.send(t, s.Path()) }()
			} else {
				sent <- nil
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			c, err := s.ReceiveMaster(ctx)
			if err == nil {
				_ = c.Close()
				t.Fatal("ReceiveMaster succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ReceiveMaster error %q does not mention %q", err, tt.wantErr)
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// pipe returns a pipe closed when the test ends.
func pipe(t *testing.T) (r, w *os.File) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(); _ = w.Close() })
	return r, w
}

// TestConsoleSocketLongDir checks that a bundle directory too long for a
// socket address (a 64-hex container id below a long state root) still
// gets a console socket: it is reached through a descriptor of the
// directory, and removed from it on Close.
func TestConsoleSocketLongDir(t *testing.T) {
	checkLeaks(t)
	dir := filepath.Join(t.TempDir(), strings.Repeat("c", 64), strings.Repeat("d", 40))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := NewConsoleSocket(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Path()); n > maxSocketPath {
		t.Fatalf("socket path %s is %d bytes", s.Path(), n)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), "pty-") {
		t.Fatalf("socket not in the bundle directory: %v %v", ents, err)
	}
	master, _, err := NewPty()
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() {
		sent <- sendFds(s.Path(), "/dev/ptmx", int(master.Fd()))
		_ = master.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := s.ReceiveMaster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got.Close()
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("left in the bundle directory after Close: %v %v", ents, err)
	}
}
