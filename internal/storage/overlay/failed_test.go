package overlay

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMountFailedRemovesWhatItMade makes a writable Mount fail after it
// made directories for the scratch's upper and work directories, either
// because the target cannot be made or because the kernel refuses the
// overlay (upper is a mount point of its own, so work is on another file
// system; or a layer is listed twice, refused once the kernel made
// work/work): what Mount made is gone again, the scratch, upper or link that
// was there before stays with what it holds, and no link is followed.
func TestMountFailedRemovesWhatItMade(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	for _, tc := range []struct {
		name string
		// kernel makes the mount fail in the kernel (upper is a tmpfs,
		// work is not); otherwise the target cannot be made.
		kernel bool
		// twice lists the one layer twice: the kernel refuses it after
		// making work/work.
		twice bool
		// scratchMissing leaves the scratch and its parent to Mount.
		scratchMissing bool
		// upper is what is at scratch/upper beforehand: "" nothing,
		// "dir" a directory holding a file, "link" a link to one.
		upper string
	}{
		{name: "target cannot be made"},
		{name: "target cannot be made and scratch missing", scratchMissing: true},
		{name: "target cannot be made and upper there", upper: "dir"},
		{name: "target cannot be made and upper a link", upper: "link"},
		{name: "kernel refuses", kernel: true},
		{name: "kernel refuses after making work in work", twice: true, scratchMissing: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			good := layer(t, filepath.Join(root, "good"), "f", "x")
			scratch := filepath.Join(root, "s", "scratch")
			if !tc.scratchMissing {
				if err := os.MkdirAll(scratch, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			upper, work := filepath.Join(scratch, "upper"), filepath.Join(scratch, "work")
			elsewhere := layer(t, t.TempDir(), "there", "z")
			switch {
			case tc.upper == "dir" || tc.kernel:
				layer(t, upper, "kept", "y")
			case tc.upper == "link":
				if err := os.Symlink(elsewhere, upper); err != nil {
					t.Fatal(err)
				}
			}
			layers, target, roots := []string{good}, filepath.Join(good, "f", "rootfs"), []string(nil)
			if tc.kernel {
				if err := unix.Mount("tmpfs", upper, "tmpfs", 0, "size=1m"); err != nil {
					t.Skipf("cannot mount a tmpfs: %v", err)
				}
				t.Cleanup(func() { unix.Unmount(upper, unix.MNT_DETACH) })
				target, roots = filepath.Join(root, "t"), []string{root}
			}
			if tc.twice {
				layers, target, roots = []string{good, good}, filepath.Join(root, "t"), []string{root}
			}
			if err := Mount(layers, scratch, target, roots); err == nil {
				Unmount(t.Context(), target, nil)
				t.Fatal("mounted, want a failure")
			}
			if isMounted(t, target) {
				Unmount(t.Context(), target, nil)
				t.Fatal("target mounted after a failure")
			}
			gone := func(p string) {
				t.Helper()
				if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s made by the failed Mount is still there (%v)", p, err)
				}
			}
			gone(work)
			switch {
			case tc.kernel:
				if !isMounted(t, upper) {
					t.Errorf("the upper mount point %s was unmounted", upper)
				}
				gone(target)
			case tc.twice:
				gone(upper)
				gone(target)
			case tc.upper == "dir":
				if _, err := os.Stat(filepath.Join(upper, "kept")); err != nil {
					t.Errorf("upper that was there before: %v", err)
				}
			case tc.upper == "link":
				if fi, err := os.Lstat(upper); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
					t.Errorf("link at upper: %v, %v", fi, err)
				}
				if _, err := os.Stat(filepath.Join(elsewhere, "there")); err != nil {
					t.Errorf("the directory the link points to: %v", err)
				}
			default:
				gone(upper)
			}
			if tc.scratchMissing {
				gone(filepath.Join(root, "s"))
			} else if _, err := os.Stat(scratch); err != nil {
				t.Errorf("scratch that was there before: %v", err)
			}
		})
	}
}

// TestMadeDirsRemove removes a made directory with the empty directories
// the kernel may make in it, and leaves one that holds anything else, or
// that became a link, with what the link points to.
func TestMadeDirsRemove(t *testing.T) {
	for _, tc := range []struct {
		name string
		// fill puts things into (or at) the made directory d; outside
		// is a directory elsewhere holding an empty subdirectory.
		fill func(t *testing.T, d, outside string)
		gone bool
	}{
		{"empty", func(*testing.T, string, string) {}, true},
		{"kernel work directories", func(t *testing.T, d, _ string) {
			for _, sub := range []string{"work", "index", "work/nested"} {
				if err := os.Mkdir(filepath.Join(d, sub), 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}, true},
		{"a file", func(t *testing.T, d, _ string) { layer(t, filepath.Join(d, "work"), "f", "x") }, false},
		{"a link to a directory", func(t *testing.T, d, outside string) {
			if err := os.Symlink(outside, filepath.Join(d, "work")); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"replaced by a link", func(t *testing.T, d, outside string) {
			if err := os.Remove(d); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(outside, "empty"), d); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, outside := t.TempDir(), t.TempDir()
			if err := os.Mkdir(filepath.Join(outside, "empty"), 0o755); err != nil {
				t.Fatal(err)
			}
			var made madeDirs
			d := filepath.Join(root, "a", "work")
			if err := made.mkdirAll(d); err != nil {
				t.Fatal(err)
			}
			if len(made) != 2 {
				t.Fatalf("made %q, want %s and its parent", made, d)
			}
			tc.fill(t, d, outside)
			err := made.remove(nil)
			_, statErr := os.Lstat(d)
			if gone := errors.Is(statErr, fs.ErrNotExist); gone != tc.gone {
				t.Errorf("%s gone: %t, want %t (remove: %v)", d, gone, tc.gone, err)
			}
			if tc.gone && err != nil {
				t.Errorf("remove: %v", err)
			}
			if _, err := os.Stat(filepath.Join(outside, "empty")); err != nil {
				t.Errorf("the directory outside: %v", err)
			}
			if _, err := os.Stat(root); err != nil {
				t.Errorf("the directory that was there before: %v", err)
			}
		})
	}
}
