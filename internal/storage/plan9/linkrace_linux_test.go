package plan9

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// The directory that holds the mount point, swapped for a link to a
// directory outside the allowed root and back again while Mount runs (a
// container that can write there can do it at any time), must never carry
// the share out of the root. No seam opens that window deterministically,
// so Mount is tried again and again; the test needs 9p (the test VM).
func TestMountLinkSwappedIn(t *testing.T) {
	mounttest.Require9P(t)
	served, root, outside := t.TempDir(), t.TempDir(), t.TempDir()
	parent := filepath.Join(root, "shares")
	for _, d := range []string{parent, filepath.Join(outside, "m")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		mounttest.UnmountBelow(t, outside)
		mounttest.UnmountBelow(t, root)
	})
	target, o := filepath.Join(parent, "m"), Options{AllowedRoots: []string{root}}
	for i := range 100 {
		conn := serve(t, served)
		stop := mounttest.Swap(t, parent, outside)
		err := Mount(t.Context(), conn, target, o)
		stop()
		conn.Close()
		if es := mounttest.MountsBelow(t, outside); len(es) > 0 {
			t.Fatalf("attempt %d: Mount (error %v) mounted %s outside the allowed root, at %s", i, err, es[0].FSType, es[0].Point)
		}
		if err == nil {
			if _, ok := mounttest.Mounted(t, target); !ok {
				t.Fatalf("attempt %d: Mount succeeded but mounted nothing at %s", i, target)
			}
			if err := Unmount(t.Context(), target, o); err != nil {
				t.Fatal(err)
			}
		}
	}
}
