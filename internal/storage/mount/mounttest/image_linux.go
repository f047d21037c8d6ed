package mounttest

import (
	"os"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// Ext4Image returns the bytes of an ext4 file system (4 KiB blocks) of
// size bytes holding files (name to content), made with mkfs.ext4 and
// filled through a loop device that is released before it returns.
func Ext4Image(t testing.TB, size int64, files map[string]string) []byte {
	t.Helper()
	RequireRoot(t)
	p := SparseFile(t, size)
	Mkfs(t, mount.Ext4, p)
	dev, f, err := attach(p, LoopOptions{})
	if err != nil {
		t.Fatal(err)
	}
	WriteFiles(t, dev, mount.Ext4, files)
	f.Close()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ImageFile writes b to a new temporary file and returns its path.
func ImageFile(t testing.TB, b []byte) string {
	t.Helper()
	p := SparseFile(t, 0)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
