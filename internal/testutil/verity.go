package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// VerityLayer is VerityImage on a loop device: it returns the device and
// the root digest.
func VerityLayer(t *testing.T, dir string, size int64) (string, string) {
	t.Helper()
	img, root := VerityImage(t, dir, size)
	return img, root
}

// VerityImage makes an image file holding an ext4 file system of size
// bytes with dir's content, followed by its dm-verity superblock and hash
// tree, as hosts make layer images; it returns the file and the root
// digest a policy names the layer by.
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
	return img, root
}
