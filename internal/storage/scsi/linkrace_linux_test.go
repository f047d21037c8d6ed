package scsi

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// A directory on the way to the mount point that is swapped for a link
// after Mount checked and made the mount point (here while mkfs runs, the
// window the Run seam opens deterministically; a container that can
// write there can do it at any time) must not carry the mount out of the
// allowed root.
func TestMountLinkSwappedIn(t *testing.T) {
	d := newDisk(t, diskOptions{})
	outside := t.TempDir()
	if err := os.Mkdir(filepath.Join(outside, "m"), 0o755); err != nil {
		t.Fatal(err)
	}
	target := d.target("m")
	parent := filepath.Dir(target)
	t.Cleanup(func() {
		for _, p := range []string{filepath.Join(outside, "m"), filepath.Join(parent+".old", "m")} {
			unix.Unmount(p, unix.MNT_DETACH)
		}
	})
	run := d.m.Run
	d.m.Run = func(cmd *exec.Cmd) ([]byte, error) {
		if err := os.Rename(parent, parent+".old"); err != nil {
			t.Error(err)
		} else if err := os.Symlink(outside, parent); err != nil {
			t.Error(err)
		}
		return run(cmd)
	}
	err := d.m.Mount(t.Context(), d.device(t, 0), target, MountOptions{EnsureFilesystem: true})
	if e, ok := mounttest.Mounted(t, filepath.Join(outside, "m")); ok {
		t.Fatalf("Mount (error %v) mounted %s outside the allowed root", err, e.FSType)
	}
	if err == nil {
		if _, ok := mounttest.Mounted(t, filepath.Join(parent+".old", "m")); !ok {
			t.Error("Mount succeeded but mounted nothing at the mount point it made")
		}
	}
}
