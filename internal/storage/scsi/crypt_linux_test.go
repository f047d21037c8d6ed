package scsi

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

func TestEncrypted(t *testing.T) {
	mounttest.RequireDeviceMapper(t)
	d := newDisk(t, diskOptions{})
	target := d.target("crypt")
	secret := bytes.Repeat([]byte("plaintext-marker "), 4096)
	for round := range 2 {
		if err := d.mount(t, 0, target, MountOptions{Encrypted: true}); err != nil {
			t.Fatal(err)
		}
		e, ok := mounttest.Mounted(t, target)
		if !ok || e.FSType != "ext4" || e.Source != devmapper.Path(CryptName(target)) {
			t.Fatalf("round %d: mount %+v, want ext4 on %s", round, e, devmapper.Path(CryptName(target)))
		}
		p := filepath.Join(target, "secret")
		if round == 1 {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Fatalf("scratch content survived a remount: %v", err)
			}
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(secret)
		f.Sync()
		f.Close()
		d.unmount(t, target)
		if ok, err := devmapper.Exists(t.Context(), CryptName(target)); err != nil || ok {
			t.Fatalf("dm-crypt device left behind (%v)", err)
		}
		raw, err := os.ReadFile(d.loop)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, secret[:64]) {
			t.Fatal("plaintext reached the disk")
		}
	}
	if n := d.mkfsRuns.Load(); n != 2 {
		t.Errorf("mkfs ran %d times, want once per mount", n)
	}
}
