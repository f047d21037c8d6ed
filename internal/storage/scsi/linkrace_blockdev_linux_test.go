package scsi

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// A BlockDev link is made in the directory checked: the directory that
// holds it, swapped for a link to a directory outside the allowed root and
// back again while Mount runs (a container that can write there can do it
// at any time), must never have the link made outside. No seam opens that
// window deterministically, so Mount is tried again and again.
func TestBlockDevLinkSwappedIn(t *testing.T) {
	mounttest.RequireRoot(t)
	root, outside := t.TempDir(), t.TempDir()
	parent := filepath.Join(root, "scsi")
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	m := &Mounter{AllowedRoots: []string{root}}
	target, device := filepath.Join(parent, "0_1_0-blk"), "/dev/sdz"
	const attempts = 2000
	linked := 0
	for i := range attempts {
		stop := mounttest.Swap(t, parent, outside)
		err := m.Mount(t.Context(), device, target, MountOptions{BlockDev: true})
		stop()
		if entries, _ := os.ReadDir(outside); len(entries) > 0 {
			t.Fatalf("attempt %d: Mount (error %v) made %s outside the allowed root", i, err, filepath.Join(outside, entries[0].Name()))
		}
		if err != nil {
			continue
		}
		linked++
		if got, err := os.Readlink(target); err != nil || got != device {
			t.Fatalf("attempt %d: Mount succeeded but %s links to %q (%v), want %s", i, target, got, err, device)
		}
		if err := os.Remove(target); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d attempts made the link where it was checked, the others failed", linked, attempts)
}
