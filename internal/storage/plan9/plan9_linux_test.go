package plan9

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hugelgupf/p9/fsimpl/localfs"
	"github.com/hugelgupf/p9/p9"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// socketPair returns the two ends of a connected unix stream socket.
func socketPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	return conns[0], conns[1]
}

// serve serves dir over 9P2000.L on one end of a socket pair and returns
// the other end, as the GCS's dial of the share's port would.
func serve(t *testing.T, dir string) net.Conn {
	t.Helper()
	guest, host := socketPair(t)
	srv := p9.NewServer(localfs.Attacher(dir))
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Handle(host, host)
	}()
	t.Cleanup(func() {
		host.Close()
		<-done
	})
	return guest
}

func TestMount(t *testing.T) {
	mounttest.Require9P(t)
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"read-write", Options{}},
		{"read-only", Options{ReadOnly: true}},
		{"share name", Options{ShareName: "share0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The server resolves the attach name below its root: a share
			// name must select that directory.
			served, root := t.TempDir(), t.TempDir()
			shared := filepath.Join(served, tc.o.ShareName)
			if err := os.MkdirAll(shared, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(shared, "host.txt"), []byte("from the host"), 0o644); err != nil {
				t.Fatal(err)
			}
			conn := serve(t, served)
			target := filepath.Join(root, "share")
			tc.o.AllowedRoots, tc.o.Log = []string{root}, testutil.Logger(t)
			if err := Mount(t.Context(), conn, target, tc.o); err != nil {
				t.Fatal(err)
			}
			conn.Close() // the kernel holds its own reference
			t.Cleanup(func() { Unmount(context.Background(), target, tc.o) })

			m, ok := mounttest.Mounted(t, target)
			if !ok || m.FSType != "9p" {
				t.Fatalf("mount %+v, want 9p", m)
			}
			// The kernel shows neither version (9p2000.L) nor aname.
			for _, want := range []string{"trans=fd", "msize=65536"} {
				if !strings.Contains(m.SuperOptions, want) {
					t.Errorf("mount options %q lack %q", m.SuperOptions, want)
				}
			}
			if b, err := os.ReadFile(filepath.Join(target, "host.txt")); err != nil || string(b) != "from the host" {
				t.Fatalf("host file reads %q, %v", b, err)
			}
			err := os.WriteFile(filepath.Join(target, "guest.txt"), []byte("from the guest"), 0o644)
			if tc.o.ReadOnly {
				if !errors.Is(err, unix.EROFS) {
					t.Fatalf("write to a read-only share: %v", err)
				}
				if _, err := os.Stat(filepath.Join(shared, "guest.txt")); err == nil {
					t.Fatal("file reached the host's directory")
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if b, err := os.ReadFile(filepath.Join(shared, "guest.txt")); err != nil || string(b) != "from the guest" {
					t.Fatalf("host sees %q, %v", b, err)
				}
			}
			for range 2 {
				if err := Unmount(t.Context(), target, tc.o); err != nil {
					t.Fatal(err)
				}
			}
			if _, ok := mounttest.Mounted(t, target); ok {
				t.Fatal("still mounted")
			}
		})
	}
}

func TestMountRefused(t *testing.T) {
	root := t.TempDir()
	guest, _ := socketPair(t)
	pipe, _ := net.Pipe()
	t.Cleanup(func() { pipe.Close() })
	for _, tc := range []struct {
		name    string
		conn    net.Conn
		target  string
		o       Options
		wantErr string
	}{
		{"comma in share name", guest, filepath.Join(root, "a"), Options{ShareName: "a,trans=virtio"}, "contains ','"},
		{"outside the roots", guest, "/mnt/elsewhere", Options{AllowedRoots: []string{root}}, "not below any allowed root"},
		{"relative target", guest, "share", Options{}, "not an absolute path"},
		{"connection without a descriptor", pipe, filepath.Join(root, "b"), Options{}, "no file descriptor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Mount(t.Context(), tc.conn, tc.target, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestUnmountNothing(t *testing.T) {
	if err := Unmount(t.Context(), filepath.Join(t.TempDir(), "never"), Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestData(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "trans=fd,rfdno=7,wfdno=7,msize=65536,version=9p2000.L"},
		{Options{ShareName: "s1", ReadOnly: true}, "trans=fd,rfdno=7,wfdno=7,msize=65536,version=9p2000.L,aname=s1"},
	} {
		if got, err := tc.o.data(7); err != nil || got != tc.want {
			t.Errorf("data(%+v) = %q, %v; want %q", tc.o, got, err, tc.want)
		}
	}
}
