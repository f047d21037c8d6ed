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

// Under a policy, an unmount that really fails leaves the policy unsure of
// what is mounted, so the VM refuses every later mount, unmount, create and
// delete, as the reference's uvmConsistencyError. The overlay's unmount is
// made to fail for real: its path is made to lead outside the GCS's roots.
func TestPolicyFailedUnmountMarksTheVMInconsistent(t *testing.T) {
	f := testutil.NewFakeDevices(t)
	busybox, hash := testutil.VerityLayer(t, testutil.BusyboxRootfs(t), 16<<20)
	f.AddDisk(t, 1, "sdv", busybox)
	h := newHostEnv(t, "runc", f.Args()...)
	a, c := h.confContainer("a"), h.confContainer("c")
	moved := filepath.Join(h.root, "c", "moved")
	m1 := filepath.Join(h.dir, "mounts", "scsi", "m1")
	t.Cleanup(func() {
		os.Remove(a.bundle) // the link, if the test stopped while it was there
		os.Rename(moved, a.bundle)
		for _, p := range []string{a.rootfs, m1} {
			unix.Unmount(p, unix.MNT_DETACH)
		}
	})
	if err := h.setPolicy(testutil.GeneratedPolicy(hash, h.layer)); err != nil {
		t.Fatal(err)
	}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, a.layers(h.layer)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(a.bundle, moved); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	if err := os.Mkdir(filepath.Join(elsewhere, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, a.bundle); err != nil {
		t.Fatal(err)
	}
	if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, a.layers(h.layer)); client.HResult(err) != prot.HrFail {
		t.Fatalf("failing unmount: %v", err)
	}
	os.Remove(a.bundle)
	if err := os.Rename(moved, a.bundle); err != nil {
		t.Fatal(err)
	}
	disk := &prot.LCOWMappedVirtualDisk{MountPath: m1, Lun: 1, ReadOnly: true, Options: []string{"ro"}}
	for what, err := range map[string]error{
		"mount":   h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk),
		"unmount": h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, a.layers(h.layer)),
		"overlay": h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, c.layers(h.layer)),
		"create":  h.createConf(c, testutil.GeneratedPolicySpec(c.rootfs, []string{testutil.RegoPath}, "sh", "-c", "env; exec sleep 1000")),
	} {
		if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "disabled") {
			t.Errorf("%s after a failed unmount: %v, want it refused as the VM is inconsistent", what, err)
		}
	}
	if _, err := os.Lstat(m1); err == nil {
		t.Errorf("refused mount made its mount point")
	}
}
