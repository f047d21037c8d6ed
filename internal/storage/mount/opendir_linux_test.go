package mount

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenDirBelow(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for _, d := range []string{"a/b", "c"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, "abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../", filepath.Join(root, "a/rel")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, p string
		ok      bool
	}{
		{"nested dir", filepath.Join(root, "a/b"), true},
		{"root itself", root, true},
		{"through an absolute link", filepath.Join(root, "abs/x"), false},
		{"an absolute link", filepath.Join(root, "abs"), false},
		{"a relative link", filepath.Join(root, "a/rel"), false},
		{"a file", filepath.Join(root, "file"), false},
		{"missing", filepath.Join(root, "a/missing"), false},
		{"outside", outside, false},
		{"unclean", root + "/a/../c", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := OpenDirBelow(root, tt.p)
			if (err == nil) != tt.ok {
				t.Fatalf("OpenDirBelow(%s) = %v, want ok=%v", tt.p, err, tt.ok)
			}
			if f != nil {
				f.Close()
			}
		})
	}
}

// TestOpenDirBelowPins: once opened, the descriptor names the directory
// it found, even after its path is swapped for a link to elsewhere; the
// kernel resolves /proc/self/fd/N to it, as a bind mount of that path
// would.
func TestOpenDirBelowPins(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	p := filepath.Join(root, "shared")
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	var want unix.Stat_t
	if err := unix.Stat(p, &want); err != nil {
		t.Fatal(err)
	}
	f, err := OpenDirBelow(root, p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Rename(p, p+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, p); err != nil {
		t.Fatal(err)
	}
	var got unix.Stat_t
	if err := unix.Stat("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), &got); err != nil {
		t.Fatal(err)
	}
	if got.Dev != want.Dev || got.Ino != want.Ino {
		t.Errorf("descriptor names dev %d ino %d, want the directory opened (dev %d ino %d)", got.Dev, got.Ino, want.Dev, want.Ino)
	}
}
