package test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestHardeningDevicesSharedParents mounts a SCSI disk and a pmem device
// on fresh mount points that share the parent directories the first Add
// made, then removes them in either order: once both are gone nothing
// either Add made is left, and the directory that was there before stays.
func TestHardeningDevicesSharedParents(t *testing.T) {
	f := testutil.NewFakeDevices(t)
	f.AddDisk(t, 2, "sdp", layerImage(t, "x", "x"))
	f.AddNode(t, "pmem1", layerImage(t, "y", "y"))
	h := newHostEnv(t, "runc", f.Args()...)
	for _, tc := range []struct {
		name        string
		disk, pmem  string // below the test's directory
		pmemRemoved bool   // the pmem device, Added second, is removed first
	}{
		{"siblings, first removed first", "a/b/disk", "a/b/pmem", false},
		{"siblings, second removed first", "a/b/disk", "a/b/pmem", true},
		{"second deeper, first removed first", "a/disk", "a/b/c/pmem", false},
		{"second deeper, second removed first", "a/disk", "a/b/c/pmem", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pre, err := os.MkdirTemp(h.root, "pre-")
			if err != nil {
				t.Fatal(err)
			}
			disk := &prot.LCOWMappedVirtualDisk{MountPath: filepath.Join(pre, tc.disk), Lun: 2, ReadOnly: true}
			pmem := &prot.LCOWMappedVPMemDevice{DeviceNumber: 1, MountPath: filepath.Join(pre, tc.pmem)}
			if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
				t.Fatal(err)
			}
			if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeVPMemDevice, pmem); err != nil {
				h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk)
				t.Fatal(err)
			}
			removals := []func() error{
				func() error { return h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk) },
				func() error { return h.modify(prot.RequestTypeRemove, prot.ResourceTypeVPMemDevice, pmem) },
			}
			if tc.pmemRemoved {
				removals[0], removals[1] = removals[1], removals[0]
			}
			for _, remove := range removals {
				if err := remove(); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range []string{disk.MountPath, pmem.MountPath} {
				if pathsMounted(t, p) {
					t.Errorf("%s still mounted", p)
				}
			}
			entries, err := os.ReadDir(pre)
			if err != nil {
				t.Fatalf("the directory that was there before: %v", err)
			}
			for _, e := range entries {
				t.Errorf("%s, made by an Add, left after both Removes", filepath.Join(pre, e.Name()))
			}
		})
	}
}
