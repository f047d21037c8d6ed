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

func TestRemoveAllBelowFollowsNoLinkedParent(t *testing.T) {
	for _, tc := range []struct {
		name string
		// link is the component of root/d/e/victim swapped for a link to
		// outside ("" for none).
		link    string
		wantErr bool
	}{
		{name: "no link", link: ""},
		{name: "link as the parent", link: "d/e", wantErr: true},
		{name: "link as a grandparent", link: "d", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			outside := t.TempDir()
			p := filepath.Join(root, "d", "e", "victim")
			for _, f := range []string{filepath.Join(p, "f"), filepath.Join(outside, "victim", "precious"), filepath.Join(outside, "e", "victim", "precious")} {
				if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.link != "" {
				l := filepath.Join(root, tc.link)
				if err := os.Rename(l, l+".old"); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(outside, l); err != nil {
					t.Fatal(err)
				}
			}
			err := RemoveAllBelow(root, p)
			if (err != nil) != tc.wantErr {
				t.Fatalf("RemoveAllBelow: %v, want error %v", err, tc.wantErr)
			}
			for _, f := range []string{filepath.Join(outside, "victim", "precious"), filepath.Join(outside, "e", "victim", "precious")} {
				if _, err := os.Stat(f); err != nil {
					t.Errorf("a link was followed: %v", err)
				}
			}
			if tc.link == "" {
				if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("not removed: %v", err)
				}
			}
		})
	}
}

func TestRemoveAllBelowRefuses(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct{ name, root, p string }{
		{"the root itself", root, root},
		{"a path outside the root", root, filepath.Dir(root)},
		{"a relative path", root, "x"},
		{"an unclean path", root, root + "/a/../b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := RemoveAllBelow(tc.root, tc.p); err == nil {
				t.Errorf("RemoveAllBelow(%q, %q) succeeded", tc.root, tc.p)
			}
		})
	}
	if err := RemoveAllBelow(root, filepath.Join(root, "missing", "x")); err != nil {
		t.Errorf("removing below a missing parent: %v", err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("the root went: %v", err)
	}
}
