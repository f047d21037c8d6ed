package runtime

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/reaper"
	"golang.org/x/sys/unix"
)

// consoleSocket listens on a fresh unix socket for a runtime to send a pty
// master over, the way a console socket receiver does; the returned channel
// yields the master (or nil after a failure reported with t.Error).
func consoleSocket(t *testing.T) (string, <-chan *os.File) {
	t.Helper()
	// Short path: sun_path holds 108 bytes, test temp dirs can be longer.
	dir, err := os.MkdirTemp("", "console-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })

	ch := make(chan *os.File, 1)
	go func() {
		f, err := receiveFd(l)
		if err != nil {
			t.Errorf("receiving pty master: %v", err)
		}
		ch <- f
	}()
	return path, ch
}

// receiveFd accepts one connection and reads one message carrying one fd
// as SCM_RIGHTS.
func receiveFd(l *net.UnixListener) (*os.File, error) {
	conn, err := l.AcceptUnix()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 4096) // the runtime sends a name with the fd
	oob := make([]byte, unix.CmsgSpace(4))
	var n, oobn int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_CMSG_CLOEXEC)
		return rerr != unix.EAGAIN
	})
	if err != nil {
		return nil, err
	}
	if rerr != nil {
		return nil, rerr
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, err
	}
	if len(msgs) != 1 {
		return nil, &os.SyscallError{Syscall: "recvmsg: want one control message", Err: unix.EINVAL}
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil {
		return nil, err
	}
	for _, extra := range fds[1:] {
		unix.Close(extra)
	}
	return os.NewFile(uintptr(fds[0]), "pty-master:"+string(buf[:n])), nil
}

func TestTerminal(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, e *env) {
		tests := []struct {
			name string
			exec bool // exec the terminal process, else create it as the init
		}{
			{"create", false},
			{"exec", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sock, masters := consoleSocket(t)
				var exited <-chan reaper.Exit
				if tt.exec {
					c := e.run(t, "tty-exec", "sleep", "3600")
					p := e.process("tty")
					p.Terminal = true
					pid, err := e.rt.Exec(testCtx(t), c.id, p, ExecOpts{ConsoleSocket: sock})
					if err != nil {
						t.Fatalf("Exec: %v", err)
					}
					exited = e.reaper.Subscribe(pid)
				} else {
					s := e.spec("tty-init", "tty")
					s.Process.Terminal = true
					c, err := e.tryCreate(t, "tty-init", s, CreateOpts{ConsoleSocket: sock})
					if err != nil {
						t.Fatalf("Create: %v", err)
					}
					exited = c.exit
					if err := e.rt.Start(testCtx(t), c.id, c.startOpts()); err != nil {
						t.Fatalf("Start: %v", err)
					}
				}
				master := <-masters
				if master == nil {
					t.FailNow()
				}
				t.Cleanup(func() { master.Close() })
				out := readAll(t, master)
				if !strings.HasPrefix(out, "/dev/pts/") {
					t.Errorf("tty printed %q through the pty, want /dev/pts/N", out)
				}
				if x := waitExit(t, "tty", exited); x.Code() != 0 {
					t.Errorf("tty exit = %s", x)
				}
			})
		}
	})
}
