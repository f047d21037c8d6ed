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

// TestEncrypted mounts a disk Encrypted twice, with ext4 and with xfs (what
// hcsshim asks for encrypted scratch): it is LUKS2 with authenticated
// encryption as the reference formats it, nothing written reaches the disk
// in plain text (looked for on the small ext4 disk), Unmount leaves no
// mapping or key file (in the default key directory, the test VM's own
// /run), and the second mount formats afresh.
func TestEncrypted(t *testing.T) {
	for _, tc := range []struct {
		fs   string
		size int64
		scan bool // look for plain text on the disk (slow on a big one under TCG)
	}{
		{"ext4", 0, true},
		{"xfs", 352 << 20, false}, // mkfs.xfs wants 300 MiB after LUKS2 takes its share
	} {
		t.Run(tc.fs, func(t *testing.T) {
			mounttest.RequireDeviceMapper(t)
			mounttest.RequireTool(t, "cryptsetup")
			mounttest.RequireTool(t, "mkfs."+tc.fs)
			d := newDisk(t, diskOptions{size: tc.size})
			target := d.target("crypt")
			name := CryptName(target)
			secret := bytes.Repeat([]byte("plaintext-marker "), 4096)
			var uuids []string
			for round := range 2 {
				if err := d.mount(t, 0, target, MountOptions{Encrypted: true, Filesystem: tc.fs}); err != nil {
					t.Fatal(err)
				}
				e, ok := mounttest.Mounted(t, target)
				if !ok || e.FSType != tc.fs || e.Source != devmapper.Path(name) {
					t.Fatalf("round %d: mount %+v, want %s on %s", round, e, tc.fs, devmapper.Path(name))
				}
				uuids = append(uuids, crypttest.AssertScratch(t, d.loop, name))
				p := filepath.Join(target, "secret")
				if round == 1 {
					if _, err := os.Stat(p); !os.IsNotExist(err) {
						t.Fatalf("scratch content survived a remount: %v", err)
					}
				}
				if err := os.WriteFile(p, secret, 0o600); err != nil {
					t.Fatal(err)
				}
				if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, secret) {
					t.Fatalf("read back through the mapping: %d bytes, %v", len(b), err)
				}
				d.unmount(t, target)
				crypttest.AssertNoneLeft(t, name, "")
				if tc.scan && crypttest.DeviceContains(t, d.loop, secret[:64]) {
					t.Fatal("plaintext reached the disk")
				}
			}
			if n := d.mkfsRuns.Load(); n != 2 {
				t.Errorf("mkfs ran %d times, want once per mount", n)
			}
			if uuids[0] == uuids[1] {
				t.Errorf("the second mount kept LUKS volume %s: not formatted afresh", uuids[0])
			}
		})
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
