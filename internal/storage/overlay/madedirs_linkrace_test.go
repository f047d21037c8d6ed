package overlay

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// outsideMirror makes below outside the empty directories a failed
// writable Mount of scratch s/scratch leaves to remove below its root
// (upper, and work with the kernel's work/work), where a directory on the
// way swapped for a link would lead the removal, and returns them.
func outsideMirror(t *testing.T, outside string) []string {
	t.Helper()
	dirs := []string{
		filepath.Join(outside, "s", "scratch", "upper"),
		filepath.Join(outside, "s", "scratch", "work", "work"),
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dirs
}

// checkOutside fails t if a directory of outsideMirror is gone.
func checkOutside(t *testing.T, dirs []string, what string) {
	t.Helper()
	for _, d := range dirs {
		if _, err := os.Lstat(d); err != nil {
			t.Fatalf("%s: the empty directory %s outside the allowed root was removed (%v)", what, d, err)
		}
	}
}

// TestMadeDirsRemoveNoLinkOnTheWay: the directories a Mount made below
// its root are removed from the root through no link. A directory on the
// way to them swapped for a link to a look-alike outside the root (a
// container that can write there can do it at any time) must not make
// the removal take the empty directories there: they stay, and so do the
// ones made, which are not reachable without the link.
func TestMadeDirsRemoveNoLinkOnTheWay(t *testing.T) {
	for _, swap := range []string{"s", "s/scratch"} {
		t.Run(swap, func(t *testing.T) {
			root, outside := t.TempDir(), t.TempDir()
			mirror := outsideMirror(t, outside)
			roots := []string{root}
			var made madeDirs
			for _, d := range []string{"s/scratch/upper", "s/scratch/work"} {
				if err := makeDir(filepath.Join(root, d), roots, &made); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Mkdir(filepath.Join(root, "s", "scratch", "work", "work"), 0o755); err != nil {
				t.Fatal(err) // what overlayfs makes before it refuses a mount
			}
			swapped := filepath.Join(root, swap)
			if err := os.Rename(swapped, swapped+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(outside, swap), swapped); err != nil {
				t.Fatal(err)
			}
			err := made.remove(roots)
			checkOutside(t, mirror, "remove")
			if err == nil {
				t.Error("remove reported nothing though a link stood in the way")
			}
		})
	}
}

// TestMountFailedLinkSwappedIn: a writable Mount that the kernel refuses
// (one layer listed twice, refused after overlayfs made work/work) removes
// the directories it made; the scratch's parent, made by Mount, swapped
// for a link to a look-alike outside the root again and again meanwhile
// must never make it remove the empty directories there.
func TestMountFailedLinkSwappedIn(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	root, outside := t.TempDir(), t.TempDir()
	mirror := outsideMirror(t, outside)
	good := layer(t, filepath.Join(root, "good"), "f", "x")
	scratch, target := filepath.Join(root, "s", "scratch"), filepath.Join(root, "t")
	t.Cleanup(func() {
		mounttest.UnmountBelow(t, outside)
		mounttest.UnmountBelow(t, root)
	})
	if err := os.Mkdir(filepath.Join(root, "s"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range mounttest.RaceAttempts {
		stop := mounttest.Swap(t, filepath.Join(root, "s"), filepath.Join(outside, "s"))
		err := Mount([]string{good, good}, scratch, target, []string{root})
		stop()
		if err == nil {
			t.Fatalf("attempt %d: the kernel mounted a layer listed twice", i)
		}
		checkOutside(t, mirror, fmt.Sprintf("attempt %d", i))
		if err := os.RemoveAll(scratch); err != nil {
			t.Fatal(err)
		}
	}
}
