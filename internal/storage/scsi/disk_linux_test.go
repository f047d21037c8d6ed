package scsi

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// testDisk is a real loop device wired into a fake sysfs at LUN 1 of
// controller 0 (under VMBus) or 1 (without VMBus: the second adapter).
type testDisk struct {
	controller uint8
	loop       string        // /dev/loopN
	root       string        // the Mounter's only allowed root
	mkfsRuns   *atomic.Int32 // mkfs commands the Mounter ran (not cryptsetup)
	m          *Mounter
}

// diskOptions describe a test disk.
type diskOptions struct {
	size       int64       // bytes; 64 MiB when zero
	fs         string      // file system made beforehand, if any
	partitions [][2]uint32 // MBR partitions, in sectors
	noVMBus    bool
}

const lun = 1

func newDisk(t *testing.T, o diskOptions) *testDisk {
	t.Helper()
	mounttest.RequireRoot(t)
	if o.size == 0 {
		o.size = 64 << 20
	}
	img := mounttest.SparseFile(t, o.size)
	if len(o.partitions) > 0 {
		mounttest.MBR(t, img, o.partitions...)
	} else if o.fs != "" {
		mounttest.Mkfs(t, o.fs, img)
	}
	loop := mounttest.Loop(t, img, mounttest.LoopOptions{PartScan: len(o.partitions) > 0})
	f := newFakeSys(t, !o.noVMBus)
	d := &testDisk{loop: loop, root: t.TempDir(), mkfsRuns: new(atomic.Int32)}
	host := 0
	if o.noVMBus {
		f.addController(t, 0, 0)
		f.addController(t, 0, 4) // the second adapter: controller 1
		d.controller, host = 1, 4
	} else {
		f.addController(t, 0, host)
	}
	name := filepath.Base(loop)
	f.addDisk(t, host, lun, name, loop)
	if len(o.partitions) > 0 {
		for i, node := range mounttest.Partitions(t, loop, img, o.partitions...) {
			f.addNode(t, PartitionName(name, uint64(i+1)), node)
		}
	}
	d.m = &Mounter{
		Lookup:       f.lookup(5 * time.Second),
		AllowedRoots: []string{d.root},
		Log:          testutil.Logger(t),
		Run: func(cmd *exec.Cmd) ([]byte, error) {
			if strings.HasPrefix(filepath.Base(cmd.Path), "mkfs") {
				d.mkfsRuns.Add(1)
			}
			return cmd.CombinedOutput()
		},
	}
	return d
}

// device looks the disk (or its partition) up as the GCS would.
func (d *testDisk) device(t *testing.T, partition uint64) string {
	t.Helper()
	dev, err := d.m.Lookup.Device(t.Context(), d.controller, lun, partition)
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

// target returns a fresh mount point name below the allowed root.
func (d *testDisk) target(name string) string {
	return filepath.Join(d.root, "mounts", name)
}

// mount mounts the disk and registers its unmount.
func (d *testDisk) mount(t *testing.T, partition uint64, target string, o MountOptions) error {
	t.Helper()
	err := d.m.Mount(t.Context(), d.device(t, partition), target, o)
	if err == nil {
		t.Cleanup(func() {
			if err := d.m.Unmount(context.Background(), target); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	return err
}

// unmount unmounts target and checks nothing is left there.
func (d *testDisk) unmount(t *testing.T, target string) {
	t.Helper()
	if err := d.m.Unmount(t.Context(), target); err != nil {
		t.Fatal(err)
	}
	if e, ok := mounttest.Mounted(t, target); ok {
		t.Fatalf("%s still mounted (%s)", target, e.FSType)
	}
}

func (d *testDisk) String() string {
	return fmt.Sprintf("%s at controller %d LUN %d", d.loop, d.controller, lun)
}
