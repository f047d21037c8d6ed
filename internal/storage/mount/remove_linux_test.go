package mount

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRemoveAllStaysOnItsMount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	dir := filepath.Join(t.TempDir(), "tree")
	outside := t.TempDir()
	precious := filepath.Join(outside, "precious")
	for _, d := range []string{"a/b", "m"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{precious, filepath.Join(dir, "a/b/f")} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, "a/out")); err != nil {
		t.Fatal(err)
	}
	m := filepath.Join(dir, "m")
	if err := unix.Mount("tmpfs", m, "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(m, unix.MNT_DETACH) })
	if err := os.WriteFile(filepath.Join(m, "inside"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	err := RemoveAll(dir)
	if !errors.Is(err, ErrMountPoint) {
		t.Fatalf("removal across a mount: %v", err)
	}
	if _, err := os.Stat(filepath.Join(m, "inside")); err != nil {
		t.Errorf("the mounted file system was touched: %v", err)
	}
	if _, err := os.Stat(precious); err != nil {
		t.Errorf("a link was followed: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "a")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the branch without a mount was kept: %v", err)
	}
	if err := unix.Unmount(m, 0); err != nil {
		t.Fatal(err)
	}
	if err := RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("not removed: %v", err)
	}
	if err := RemoveAll(dir); err != nil {
		t.Errorf("removing a missing path: %v", err)
	}
}
