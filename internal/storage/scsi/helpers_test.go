package scsi

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeSys is a fake sysfs tree and device directory for Lookup.
type fakeSys struct {
	sys, dev string
}

// newFakeSys returns an empty fake tree; with vmbus, a /sys/bus/vmbus.
func newFakeSys(t *testing.T, vmbus bool) *fakeSys {
	t.Helper()
	root := t.TempDir()
	f := &fakeSys{sys: filepath.Join(root, "sys"), dev: filepath.Join(root, "dev")}
	mkdir(t, f.dev)
	mkdir(t, filepath.Join(f.sys, "bus", "scsi", "devices"))
	if vmbus {
		mkdir(t, filepath.Join(f.sys, "bus", "vmbus", "devices"))
	}
	return f
}

func (f *fakeSys) lookup(timeout time.Duration) Lookup {
	return Lookup{SysRoot: f.sys, DevRoot: f.dev, Poll: time.Millisecond, Timeout: timeout}
}

// addController makes SCSI host number host the host's controller: under
// its VMBus GUID, or as a scsi_host class entry (its index then follows
// from the order of all hosts).
func (f *fakeSys) addController(t *testing.T, controller uint8, host int) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(f.sys, "bus", "vmbus")); err == nil {
		guid, err := ControllerGUID(controller)
		if err != nil {
			t.Fatal(err)
		}
		mkdir(t, filepath.Join(f.sys, "bus", "vmbus", "devices", guid, fmt.Sprintf("host%d", host)))
		return
	}
	mkdir(t, filepath.Join(f.sys, "class", "scsi_host", fmt.Sprintf("host%d", host)))
}

// addDisk puts the block device name at host:0:0:lun, its node in the
// device directory being a link to node (a file for lookup-only tests).
// It returns the path of the device's delete attribute.
func (f *fakeSys) addDisk(t *testing.T, host int, lun uint8, name, node string) string {
	t.Helper()
	dir := filepath.Join(f.sys, "bus", "scsi", "devices", fmt.Sprintf("%d:0:0:%d", host, lun))
	mkdir(t, filepath.Join(dir, "block", name))
	del := filepath.Join(dir, "delete")
	if err := os.WriteFile(del, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f.addNode(t, name, node)
	return del
}

// addNode makes dev/name a link to node, creating node as an empty file
// if it does not exist.
func (f *fakeSys) addNode(t *testing.T, name, node string) {
	t.Helper()
	if node == "" {
		node = filepath.Join(t.TempDir(), name)
	}
	if _, err := os.Stat(node); os.IsNotExist(err) {
		if err := os.WriteFile(node, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(node, filepath.Join(f.dev, name)); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}
