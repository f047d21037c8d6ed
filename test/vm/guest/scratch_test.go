package guest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/crypt"
	"github.com/linux-gcs/gcs/internal/storage/crypt/crypttest"
	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/scsi"
)

// The encrypted scratch tests format the disk qemu attached at LUN 3 (32
// MiB: room for LUKS2's 16 MiB header and an ext4) and put its content
// back afterwards, so that the other tests find it as it was.

// scsiBlockDevice returns /dev/<name> of the SCSI disk at lun.
func scsiBlockDevice(t *testing.T, lun string) string {
	t.Helper()
	dev := scsiDevice(t, lun, 15*time.Second)
	if dev == "" {
		t.Fatalf("the VM has no SCSI disk at LUN %s (qemu's virtio-scsi disk)", lun)
	}
	m, _ := filepath.Glob(filepath.Join(dev, "block", "*"))
	if len(m) != 1 {
		t.Fatalf("SCSI device %s has block devices %q, want one", dev, m)
	}
	return filepath.Join("/dev", filepath.Base(m[0]))
}

// preserveDisk saves the content of the (small) disk dev and writes it
// back when the test ends.
func preserveDisk(t *testing.T, dev string) {
	t.Helper()
	saved := crypttest.ReadDevice(t, dev)
	t.Cleanup(func() {
		f, err := os.OpenFile(dev, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteAt(saved, 0)
			if err == nil {
				err = f.Sync()
			}
			f.Close()
		}
		if err != nil {
			t.Errorf("restore the disk %s: %v", dev, err)
		} else if !bytes.Equal(crypttest.ReadDevice(t, dev), saved) {
			t.Errorf("the disk %s reads differently after its restore", dev)
		}
	})
}

// mountSource returns the source of the mount at target.
func mountSource(t *testing.T, target string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	source := ""
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		for i, x := range f {
			if x == "-" && len(f) > i+2 && len(f) > 4 && unescapeMount(f[4]) == target {
				source = f[i+2]
			}
		}
	}
	return source
}

func encryptedDisk(lun uint8, target, fs string) *prot.ModificationRequest {
	return &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeMappedVirtualDisk,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWMappedVirtualDisk{
			MountPath: target, Controller: 0, Lun: lun,
			Encrypted: true, EnsureFilesystem: true, Filesystem: fs,
		},
	}
}

// TestEncryptedScratchDisk mounts a read-write disk with Encrypted, as the
// host does with a container's scratch disk, puts a container's overlay
// upper directory on it (hcsshim's <mount>/scratch/<id>), has the
// container write a file through it, removes the disk and adds it again:
// it is LUKS2 with authenticated encryption, leaves no mapping, mount or
// key file behind, and is formatted afresh each time.
func TestEncryptedScratchDisk(t *testing.T) {
	h := vm(t)
	dev := scsiBlockDevice(t, "3")
	preserveDisk(t, dev)
	// hcsshim mounts a scratch disk at /run/mounts/scsi/m<N> and puts the
	// upper directory in <mount>/scratch/<id>, but this GCS accepts a
	// ScratchDirPath only below its state directory (/run/gcs): the disk
	// is mounted there.
	const target = gcsRoot + "/scsi-m3-encrypted"
	const content = "through the encrypted scratch\n"
	var uuids []string
	for round := range 2 {
		req := encryptedDisk(coldLUN, target, "ext4")
		h.modify(t, "MappedVirtualDisk Add (LUN 3, encrypted)", req)
		removed := false
		h.removeOnCleanup(t, req, &removed)
		mustMounted(t, target)
		name := scsi.CryptName(target)
		if src := mountSource(t, target); src != devmapper.Path(name) {
			t.Fatalf("%s is mounted from %q, not the encrypted mapping %s", target, src, devmapper.Path(name))
		}
		uuids = append(uuids, crypttest.AssertScratch(t, dev, name))
		if m, _ := filepath.Glob(filepath.Join(crypt.DefaultKeyDir, crypt.KeyDirPrefix+"*")); len(m) > 0 {
			t.Errorf("key files kept while mounted: %q", m)
		}
		if _, err := os.Stat(filepath.Join(target, "hello.txt")); err == nil {
			t.Error("the disk's earlier file system survived: not formatted")
		}
		id := h.id("crypt")
		scratch := filepath.Join(target, "scratch", id)
		t.Run("container", func(t *testing.T) {
			h.createWithScratch(t, id, specFor("sleep", "1000"), scratch)
			c := h.client(t)
			if err := c.Start(testCtx(t), id); err != nil {
				t.Fatal(err)
			}
			s := h.stdio(t, false, false, true)
			params := s.params()
			params.OCIProcess = process("sh", "-c", "printf '"+strings.TrimSuffix(content, "\n")+"\\n' >/written.txt")
			pid, err := c.ExecuteProcess(testCtx(t), id, params, s.settings)
			if err != nil {
				t.Fatal(err)
			}
			errOut := readAll(s.errc)
			if code := h.wait(t, id, pid); code != 0 {
				t.Fatalf("write in the container: exit code %d: %s", code, recv(t, "stderr", errOut))
			}
			b, err := os.ReadFile(filepath.Join(scratch, "upper", "written.txt"))
			if err != nil || string(b) != content {
				t.Fatalf("the container's file on the scratch disk: %q %v", b, err)
			}
		})
		req.RequestType = prot.RequestTypeRemove
		h.modify(t, "MappedVirtualDisk Remove (LUN 3, encrypted)", req)
		removed = true
		checkUnmounted(t, target)
		crypttest.AssertNoneLeft(t, name, "")
		if crypttest.DeviceContains(t, dev, []byte(content)) {
			t.Errorf("round %d: the container's file reached the disk in plain text", round)
		}
	}
	if len(uuids) == 2 && uuids[0] == uuids[1] {
		t.Errorf("the second Add kept LUKS volume %s: not formatted afresh", uuids[0])
	}
}

// TestEncryptedScratchFailureLeavesNothing asks for an encrypted xfs
// scratch on the 32 MiB disk: LUKS2 formats and opens it, then mkfs.xfs
// fails for real (xfs wants 300 MiB). The Add fails and neither a mount, a
// device-mapper device nor a key file is left.
func TestEncryptedScratchFailureLeavesNothing(t *testing.T) {
	h := vm(t)
	dev := scsiBlockDevice(t, "3")
	preserveDisk(t, dev)
	const target = gcsRoot + "/scsi-m3-encrypted-xfs"
	err := h.client(t).ModifySettings(testCtx(t), prot.NullContainerID, encryptedDisk(coldLUN, target, "xfs"))
	notYet(t, "MappedVirtualDisk Add (encrypted)", err)
	if err == nil {
		req := encryptedDisk(coldLUN, target, "xfs")
		removed := false
		h.removeOnCleanup(t, req, &removed)
		t.Fatal("an encrypted xfs scratch on a 32 MiB disk was mounted")
	}
	t.Logf("Add failed as it should: %v", err)
	if m, _ := isMountPoint(target); m {
		t.Errorf("%s is mounted after a failed Add", target)
	}
	crypttest.AssertNoneLeft(t, scsi.CryptName(target), "")
	// The failure came after luksFormat: the disk is LUKS now.
	if out, err := exec.Command("cryptsetup", "isLuks", dev).CombinedOutput(); err != nil {
		t.Errorf("the failure came before luksFormat (%v: %s): not the failure this test wants", err, out)
	}
}
