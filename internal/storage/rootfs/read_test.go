package rootfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadFileStaysInRoot plants the hostile /etc/passwd files a
// container can make and checks each is refused or read from inside the
// rootfs, never from the VM, and never blocks.
func TestReadFileStaysInRoot(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(outside, []byte("vmonly:x:4242:4242::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		plant   func(t *testing.T, etc string)
		want    string // content read, if readable
		wantErr string
	}{
		{"regular file", func(t *testing.T, etc string) { write(t, filepath.Join(etc, "passwd"), "root:x:0:0::/:/bin/sh\n") },
			"root:x:0:0::/:/bin/sh\n", ""},
		{"FIFO", func(t *testing.T, etc string) {
			if err := unix.Mkfifo(filepath.Join(etc, "passwd"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "", "FIFO"},
		{"link to /dev/urandom", func(t *testing.T, etc string) { link(t, "/dev/urandom", filepath.Join(etc, "passwd")) }, "", "no such file"},
		{"link to a device inside", func(t *testing.T, etc string) {
			if err := unix.Mknod(filepath.Join(etc, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
				t.Skipf("mknod: %v", err)
			}
			link(t, "null", filepath.Join(etc, "passwd"))
		}, "", "character device"},
		{"absolute link to a VM file", func(t *testing.T, etc string) { link(t, outside, filepath.Join(etc, "passwd")) }, "", "no such file"},
		{"relative link climbing out", func(t *testing.T, etc string) {
			link(t, strings.Repeat("../", 20)+outside[1:], filepath.Join(etc, "passwd"))
		}, "", "no such file"},
		{"directory", func(t *testing.T, etc string) { os.Mkdir(filepath.Join(etc, "passwd"), 0o755) }, "", "directory"},
		{"too large", func(t *testing.T, etc string) {
			write(t, filepath.Join(etc, "passwd"), strings.Repeat("x", DefaultMaxSize+1))
		}, "", "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			etc := filepath.Join(root, "etc")
			os.Mkdir(etc, 0o755)
			tc.plant(t, etc)
			b, err := ReadFile(context.Background(), root, "/etc/passwd", Limits{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("read %q, %v; want an error with %q", b, err, tc.wantErr)
				}
				return
			}
			if err != nil || string(b) != tc.want {
				t.Fatalf("read %q, %v; want %q", b, err, tc.want)
			}
		})
	}
}

func TestUsersOfHostileRootfs(t *testing.T) {
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	os.Mkdir(etc, 0o755)
	if err := unix.Mkfifo(filepath.Join(etc, "passwd"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Users{Root: root}.Resolve(context.Background(), "root")
	if !errors.Is(err, ErrNotRegular) {
		t.Fatalf("resolve through a FIFO: %v", err)
	}
	// No files at all: numeric ids still resolve, names do not.
	empty := t.TempDir()
	if u, err := (Users{Root: empty}).Resolve(context.Background(), "7:8"); err != nil || u != (User{7, 8}) {
		t.Errorf("7:8 without /etc: %+v %v", u, err)
	}
	if _, err := (Users{Root: empty}).Resolve(context.Background(), "root"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("root without /etc/passwd: %v", err)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}
