package hcsv2

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
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

// Two Adds whose mount points share parent directories the first made:
// once both are removed, in either order, nothing either made is left and
// what was there before stays. Each Add mounts a real tmpfs, unmounted
// before its release as a Remove does.
func TestMountAtSharedParents(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	for _, tc := range []struct {
		name   string
		first  string
		second string
	}{
		{"siblings", "a/b/m1", "a/b/m2"},
		{"second deeper", "a/m1", "a/b/c/m2"},
		{"second shallower", "a/b/c/m1", "a/m2"},
		{"second in the first's made parent only", "a/b/m1", "a/c/m2"},
		{"below a directory that was there", "pre/x/m1", "pre/x/y/m2"},
	} {
		for _, order := range []string{"first removed first", "second removed first"} {
			t.Run(tc.name+"/"+order, func(t *testing.T) {
				root := t.TempDir()
				if err := os.Mkdir(filepath.Join(root, "pre"), 0o755); err != nil {
					t.Fatal(err)
				}
				h := NewHost(Options{Root: t.TempDir(), Devices: Devices{AllowedRoots: []string{root}}})
				targets := []string{filepath.Join(root, tc.first), filepath.Join(root, tc.second)}
				for _, target := range targets {
					if err := h.mountAt(target, func() error { return mountTmpfs(t, target) }); err != nil {
						t.Fatalf("mountAt(%s): %v", target, err)
					}
				}
				if order == "second removed first" {
					targets[0], targets[1] = targets[1], targets[0]
				}
				for _, target := range targets {
					if err := unix.Unmount(target, 0); err != nil {
						t.Fatal(err)
					}
					h.release(target)
				}
				entries, err := os.ReadDir(root)
				if err != nil {
					t.Fatal(err)
				}
				if len(entries) != 1 || entries[0].Name() != "pre" {
					var names []string
					for _, e := range entries {
						names = append(names, e.Name())
					}
					t.Errorf("left in the root: %v, want only pre", names)
				}
				if left, _ := os.ReadDir(filepath.Join(root, "pre")); len(left) != 0 {
					t.Errorf("left in pre: %s", left[0].Name())
				}
			})
		}
	}
}

// mountTmpfs makes target and mounts a small tmpfs there; the mount is
// detached at cleanup if the test did not unmount it.
func mountTmpfs(t *testing.T, target string) error {
	if err := os.Mkdir(target, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", target, "tmpfs", 0, "size=64k"); err != nil {
		return err
	}
	t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
	return nil
}

// A Remove that comes while another Add below the same made parents is in
// flight (made its parents, not yet its mount point) leaves those parents
// to it: the Add succeeds, and once it is removed too nothing is left.
func TestMountAtRemoveDuringAdd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	root := t.TempDir()
	h := NewHost(Options{Root: t.TempDir(), Devices: Devices{AllowedRoots: []string{root}}})
	first, second := filepath.Join(root, "a", "b", "m1"), filepath.Join(root, "a", "b", "m2")
	if err := h.mountAt(first, func() error { return mountTmpfs(t, first) }); err != nil {
		t.Fatal(err)
	}
	started, proceed := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- h.mountAt(second, func() error {
			close(started)
			<-proceed
			return mountTmpfs(t, second)
		})
	}()
	<-started
	if err := unix.Unmount(first, 0); err != nil {
		t.Fatal(err)
	}
	h.release(first)
	close(proceed)
	if err := <-done; err != nil {
		t.Fatalf("the Add in flight failed: %v", err)
	}
	if err := unix.Unmount(second, 0); err != nil {
		t.Fatal(err)
	}
	h.release(second)
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("%s left in the root", entries[0].Name())
	}
}
