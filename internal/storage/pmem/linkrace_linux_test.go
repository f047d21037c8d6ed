package pmem

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// The directory that holds the mount point, swapped for a link to a
// directory outside the allowed root and back again while Mount runs (a
// container that can write there can do it at any time), must never carry
// the mount out of the root: Mount mounts on the directory it checked, or
// fails.
func TestMountLinkSwappedIn(t *testing.T) {
	mounttest.RequireRoot(t)
	e := newEnv(t)
	e.addDevice(t, 0, mounttest.Ext4Image(t, layerSize, map[string]string{"layer.txt": "race"}))
	outside := t.TempDir()
	if err := os.Mkdir(filepath.Join(outside, "m"), 0o755); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(e.root, "layers")
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mounttest.UnmountBelow(t, outside)
		mounttest.UnmountBelow(t, e.root)
	})
	target, o := filepath.Join(parent, "m"), e.options(t, nil, nil)
	o.Log = nil
	mounted := 0
	for i := range mounttest.RaceAttempts {
		stop := mounttest.Swap(t, parent, outside)
		err := Mount(t.Context(), 0, target, o)
		stop()
		if es := mounttest.MountsBelow(t, outside); len(es) > 0 {
			t.Fatalf("attempt %d: Mount (error %v) mounted %s outside the allowed root, at %s", i, err, es[0].FSType, es[0].Point)
		}
		if err != nil {
			continue
		}
		mounted++
		if _, ok := mounttest.Mounted(t, target); !ok {
			t.Fatalf("attempt %d: Mount succeeded but mounted nothing at %s", i, target)
		}
		if err := Unmount(t.Context(), 0, target, o); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d attempts mounted at the mount point checked, the others failed", mounted, mounttest.RaceAttempts)
}
