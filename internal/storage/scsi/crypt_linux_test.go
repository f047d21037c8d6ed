package scsi

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/crypt/crypttest"
	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

// TestEncrypted mounts a disk Encrypted twice: it is LUKS2 with
// authenticated encryption as the reference formats it, nothing written
// reaches the disk in plain text, Unmount leaves no mapping or key file
// (in the default key directory, the test VM's own /run), and the second
// mount formats afresh.
func TestEncrypted(t *testing.T) {
	mounttest.RequireDeviceMapper(t)
	mounttest.RequireTool(t, "cryptsetup")
	d := newDisk(t, diskOptions{})
	target := d.target("crypt")
	name := CryptName(target)
	secret := bytes.Repeat([]byte("plaintext-marker "), 4096)
	var uuids []string
	for round := range 2 {
		if err := d.mount(t, 0, target, MountOptions{Encrypted: true}); err != nil {
			t.Fatal(err)
		}
		e, ok := mounttest.Mounted(t, target)
		if !ok || e.FSType != "ext4" || e.Source != devmapper.Path(name) {
			t.Fatalf("round %d: mount %+v, want ext4 on %s", round, e, devmapper.Path(name))
		}
		uuids = append(uuids, crypttest.AssertScratch(t, d.loop, name))
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
		crypttest.AssertNoneLeft(t, name, "")
		if bytes.Contains(crypttest.ReadDevice(t, d.loop), secret[:64]) {
			t.Fatal("plaintext reached the disk")
		}
	}
	if n := d.mkfsRuns.Load(); n != 2 {
		t.Errorf("mkfs ran %d times, want once per mount", n)
	}
	if uuids[0] == uuids[1] {
		t.Errorf("the second mount kept LUKS volume %s: not formatted afresh", uuids[0])
	}
}

// TestEncryptedFailureLeavesNothing has mkfs.xfs fail for real, after
// LUKS2 is formatted and open: the disk, once LUKS2 and its integrity
// tags take their share, is far below the 300 MiB mkfs.xfs insists on.
// Neither the mount, the mapping nor a key file may be left.
func TestEncryptedFailureLeavesNothing(t *testing.T) {
	mounttest.RequireDeviceMapper(t)
	mounttest.RequireTool(t, "cryptsetup")
	mounttest.RequireTool(t, "mkfs.xfs")
	d := newDisk(t, diskOptions{})
	target := d.target("crypt-fail")
	err := d.mount(t, 0, target, MountOptions{Encrypted: true, Filesystem: "xfs"})
	if err == nil {
		t.Fatal("an encrypted xfs on a 64 MiB disk was mounted")
	}
	t.Log(err)
	if _, ok := mounttest.Mounted(t, target); ok {
		t.Error("a failed Encrypted mount left a mount behind")
	}
	crypttest.AssertNoneLeft(t, CryptName(target), "")
}
