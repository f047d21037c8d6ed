package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// VerityImage makes an ext4 image of dir followed by its dm-verity
// superblock and hash tree, as hosts make layer images, on a loop device;
// it returns the device and the root digest a policy names the layer by.
func VerityImage(t *testing.T, dir string, size int64) (string, string) {
	t.Helper()
	mkfs := mounttest.RequireTool(t, "mkfs.ext4")
	img := filepath.Join(t.TempDir(), "layer.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(mkfs, "-q", "-F", "-b", "4096", "-d", dir, img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4 -d %s: %v: %s", dir, err, out)
	}
	root, err := devmapper.AppendVerity(f, size, 4096, []byte("layer-salt"))
	if err != nil {
		t.Fatal(err)
	}
	return mounttest.Loop(t, img, mounttest.LoopOptions{}), root
}
