package overlay

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// Every directory Mount is given is checked, then mounted: one on the way
// to the target, a layer or the scratch, swapped for a link to a
// directory outside the allowed root and back again while Mount runs (a
// container that can write there can do it at any time), must never have
// the overlay mounted outside, show the container a layer from outside,
// or take its writes outside. Mount mounts what it checked, or fails
// leaving nothing mounted.
func TestMountLinkSwappedIn(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	for _, tc := range []struct {
		name string
		// swap is the directory swapped, relative to the root: the
		// parent of the target, of the top layer, or of the scratch.
		swap    string
		scratch bool
	}{
		{name: "target", swap: "c"},
		{name: "layer", swap: "layers"},
		{name: "scratch", swap: "s", scratch: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, outside := t.TempDir(), t.TempDir()
			// outside mirrors the root: a layer with a secret, a scratch
			// and a mount point, where the swapped link leads.
			for _, d := range []string{root, outside} {
				for _, sub := range []string{"c/rootfs", "s/scratch/upper", "s/scratch/work"} {
					if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
						t.Fatal(err)
					}
				}
			}
			layer(t, filepath.Join(outside, "layers", "top"), "secret", "the UVM's secret")
			top := layer(t, filepath.Join(root, "layers", "top"), "top", "x")
			base := layer(t, filepath.Join(root, "base"), "base", "x")
			t.Cleanup(func() {
				mounttest.UnmountBelow(t, outside)
				mounttest.UnmountBelow(t, root)
			})
			scratch, target := "", filepath.Join(root, "c", "rootfs")
			if tc.scratch {
				scratch = filepath.Join(root, "s", "scratch")
			}
			mounted := 0
			for i := range mounttest.RaceAttempts {
				stop := mounttest.Swap(t, filepath.Join(root, tc.swap), filepath.Join(outside, tc.swap))
				err := Mount([]string{top, base}, scratch, target, []string{root})
				stop()
				if es := mounttest.MountsBelow(t, outside); len(es) > 0 {
					t.Fatalf("attempt %d: Mount (error %v) mounted %s outside the allowed root, at %s", i, err, es[0].FSType, es[0].Point)
				}
				if err != nil {
					if isMounted(t, target) {
						t.Fatalf("attempt %d: Mount failed (%v) but left %s mounted", i, err, target)
					}
					continue
				}
				mounted++
				if !isMounted(t, target) {
					t.Fatalf("attempt %d: Mount succeeded but mounted nothing at %s", i, target)
				}
				if _, err := os.Stat(filepath.Join(target, "secret")); err == nil {
					t.Fatalf("attempt %d: the overlay shows a layer from outside the allowed root", i)
				}
				if tc.scratch {
					if err := os.WriteFile(filepath.Join(target, "written"), nil, 0o644); err != nil {
						t.Fatal(err)
					}
					if _, err := os.Stat(filepath.Join(outside, "s", "scratch", "upper", "written")); err == nil {
						t.Fatalf("attempt %d: a file written in the overlay landed outside the allowed root", i)
					}
					if err := os.Remove(filepath.Join(target, "written")); err != nil {
						t.Fatal(err)
					}
				}
				if err := Unmount(t.Context(), target, []string{root}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := os.Stat(filepath.Join(outside, "layers", "top", "secret")); errors.Is(err, fs.ErrNotExist) {
				t.Error("the layer outside is gone")
			}
			t.Logf("%d of %d attempts mounted what was checked, the others failed", mounted, mounttest.RaceAttempts)
		})
	}
}
