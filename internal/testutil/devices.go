package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FakeDevices is the device-lookup seam of a GCS pointed at real loop
// devices: a sysfs tree in which SCSI host 0 has the disks, and a device
// directory whose nodes are links to the loop devices. Mounts, mkfs and
// the kernel objects are real; only the lookup of which device is which
// is stood in.
type FakeDevices struct {
	// Sys and Dev are the sysfs and device roots (the GCS's -sys-root
	// and -dev-root).
	Sys, Dev string
	// Timeout bounds the GCS's wait for a device (-device-timeout).
	Timeout time.Duration
}

// NewFakeDevices makes an empty tree, with a device timeout of 500ms.
func NewFakeDevices(t testing.TB) *FakeDevices {
	t.Helper()
	root := t.TempDir()
	f := &FakeDevices{Sys: filepath.Join(root, "sys"), Dev: filepath.Join(root, "dev"), Timeout: 500 * time.Millisecond}
	for _, d := range []string{f.Dev, filepath.Join(f.Sys, "class", "scsi_host", "host0"), filepath.Join(f.Sys, "bus", "scsi", "devices")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// AddDisk makes loop device dev the disk name at controller 0, lun.
func (f *FakeDevices) AddDisk(t testing.TB, lun uint8, name, dev string) {
	t.Helper()
	f.AddSCSI(t, lun, name)
	f.AddNode(t, name, dev)
}

// AddSCSI lists block device name as the disk at controller 0, lun; its
// node is the caller's.
func (f *FakeDevices) AddSCSI(t testing.TB, lun uint8, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(f.Sys, "bus", "scsi", "devices", fmt.Sprintf("0:0:0:%d", lun), "block", name), 0o755); err != nil {
		t.Fatal(err)
	}
}

// AddNode makes the device node name a link to dev.
func (f *FakeDevices) AddNode(t testing.TB, name, dev string) {
	t.Helper()
	if err := os.Symlink(dev, filepath.Join(f.Dev, name)); err != nil {
		t.Fatal(err)
	}
}

// Args are the GCS flags that point it at the tree.
func (f *FakeDevices) Args() []string {
	return []string{"-sys-root", f.Sys, "-dev-root", f.Dev, "-device-timeout", f.Timeout.String()}
}
