package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// Under a policy, an unmount whose directory is gone is refused and
// changes nothing; an unmount that really fails leaves the policy unsure
// of what is mounted, so the VM refuses every later mount, unmount, create
// and delete, as the reference's uvmConsistencyError.
func TestPolicyFailedUnmountMarksTheVMInconsistent(t *testing.T) {
	f := newFakeDevices(t)
	busybox, hash := verityLayer(t, testutil.BusyboxRootfs(t), 16<<20)
	f.addDisk(t, 1, "sdv", busybox)
	h := newHostEnv(t, "runc", f.args()...)
	scsiDir := filepath.Join(h.dir, "mounts", "scsi")
	moved := filepath.Join(h.dir, "mounts", "moved")
	disk := func(n string) *prot.LCOWMappedVirtualDisk {
		return &prot.LCOWMappedVirtualDisk{MountPath: filepath.Join(scsiDir, n), Lun: 1, ReadOnly: true, Options: []string{"ro"}}
	}
	t.Cleanup(func() {
		for _, p := range []string{filepath.Join(moved, "m1"), filepath.Join(scsiDir, "m1"), filepath.Join(scsiDir, "m2"), filepath.Join(scsiDir, "m3")} {
			unix.Unmount(p, unix.MNT_DETACH)
		}
	})
	if err := h.setPolicy(generatedPolicy(hash)); err != nil {
		t.Fatal(err)
	}

	// The directory is gone: refused after the policy answered, nothing
	// else changes, and the VM stays usable.
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk("m2")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Unmount(disk("m2").MountPath, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(disk("m2").MountPath); err != nil {
		t.Fatal(err)
	}
	err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk("m2"))
	if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("unmount of a missing directory: %v", err)
	}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk("m1")); err != nil {
		t.Fatalf("mount after a refused unmount: %v", err)
	}

	// The unmount fails: the path now leads outside the GCS's roots.
	if err := os.Rename(scsiDir, moved); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	if err := os.Mkdir(filepath.Join(elsewhere, "m1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, scsiDir); err != nil {
		t.Fatal(err)
	}
	if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk("m1")); client.HResult(err) != prot.HrFail {
		t.Fatalf("failing unmount: %v", err)
	}
	os.Remove(scsiDir)
	if err := os.Rename(moved, scsiDir); err != nil {
		t.Fatal(err)
	}
	c := h.confContainer("c")
	for what, err := range map[string]error{
		"mount":   h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk("m3")),
		"unmount": h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk("m1")),
		"overlay": h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, c.layers(disk("m1").MountPath)),
		"create":  h.createConf(c, regoSpec(c.rootfs, []string{regoPath}, "sh", "-c", "env; exec sleep 1000")),
	} {
		if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "disabled") {
			t.Errorf("%s after a failed unmount: %v, want it refused as the VM is inconsistent", what, err)
		}
	}
	if _, err := os.Lstat(disk("m3").MountPath); err == nil {
		t.Errorf("refused mount made its mount point")
	}
}
