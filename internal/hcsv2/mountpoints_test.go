package hcsv2

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestMountAtRemovesWhatItMade(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fail    bool // the mount fails
		link    bool // a parent is swapped for a link before Remove
		gone    []string
		kept    []string
		outside bool // the link's target must keep its directories
	}{
		{name: "failed Add", fail: true, gone: []string{"a"}},
		{name: "Remove", gone: []string{"a"}},
		{name: "Remove through a linked parent", link: true, kept: []string{"a.old/b/mnt"}, outside: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			outside := t.TempDir()
			if err := os.MkdirAll(filepath.Join(outside, "b", "mnt"), 0o755); err != nil {
				t.Fatal(err)
			}
			h := NewHost(Options{Root: t.TempDir(), Devices: Devices{AllowedRoots: []string{root}}})
			target := filepath.Join(root, "a", "b", "mnt")
			err := h.mountAt(target, func() error {
				if err := os.Mkdir(target, 0o755); err != nil {
					return err
				}
				if tc.fail {
					return errors.New("mount failed")
				}
				return nil
			})
			if (err != nil) != tc.fail {
				t.Fatalf("mountAt: %v", err)
			}
			if tc.link {
				a := filepath.Join(root, "a")
				if err := os.Rename(a, a+".old"); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(outside, a); err != nil {
					t.Fatal(err)
				}
			}
			if !tc.fail {
				h.release(target)
			}
			for _, p := range tc.gone {
				if _, err := os.Lstat(filepath.Join(root, p)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s made for the mount point is left: %v", p, err)
				}
			}
			for _, p := range tc.kept {
				if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
					t.Errorf("%s: %v", p, err)
				}
			}
			if tc.outside {
				if _, err := os.Stat(filepath.Join(outside, "b", "mnt")); err != nil {
					t.Errorf("Remove followed a link out of the root: %v", err)
				}
			}
			if _, err := os.Stat(root); err != nil {
				t.Errorf("the allowed root went: %v", err)
			}
		})
	}
}

func TestMountAtKeepsWhatWasThere(t *testing.T) {
	root := t.TempDir()
	h := NewHost(Options{Root: t.TempDir(), Devices: Devices{AllowedRoots: []string{root}}})
	parent := filepath.Join(root, "a")
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(parent, "b", "mnt")
	if err := h.mountAt(target, func() error { return os.Mkdir(target, 0o755) }); err != nil {
		t.Fatal(err)
	}
	h.release(target)
	if _, err := os.Lstat(filepath.Join(parent, "b")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the directory made for the mount point is left: %v", err)
	}
	if _, err := os.Stat(parent); err != nil {
		t.Errorf("the host's directory went: %v", err)
	}
}
