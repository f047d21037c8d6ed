package test

import (
	"path/filepath"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// podBlockNode makes name in the fake device directory a block device node
// of the same device as the loop device dev (a real node, as /dev/sdX is
// in a utility VM), and the disk at controller 0, lun.
func podBlockNode(t *testing.T, f *testutil.FakeDevices, lun uint8, name, dev string) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(dev, &st); err != nil {
		t.Fatal(err)
	}
	f.AddSCSI(t, lun, name)
	if err := unix.Mknod(filepath.Join(f.Dev, name), unix.S_IFBLK|0o600, int(st.Rdev)); err != nil {
		t.Fatal(err)
	}
}

// TestPodDeviceMounts gives a workload a SCSI disk as a block device
// (blockdev://, read-only: the device cgroup lets it read, not write)
// and a hugetlbfs (hugepages://), both created and removed with the pod.
func TestPodDeviceMounts(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		f := testutil.NewFakeDevices(t)
		podBlockNode(t, f, 2, "sdr", layerImage(t, "hello.txt", "raw\n"))
		h := newHostEnv(t, rt, f.Args()...)
		disk := &prot.LCOWMappedVirtualDisk{MountPath: filepath.Join(h.dir, "mounts", "scsi", "0_2_0"), Lun: 2, BlockDev: true}
		if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
				t.Errorf("remove disk: %v", err)
			}
		})
		l := podLayouts()[0]
		sb := h.id("sb")
		podStart(t, h, l, sb, sb, podSandboxSpec("podhost", "sleep", "1000"))
		w := h.id("w")
		spec := podWorkloadSpec(sb, "sleep", "1000")
		spec.Mounts = append(spec.Mounts,
			oci.Mount{Destination: "blockdev:///dev/blk", Source: disk.MountPath, Type: "bind", Options: []string{"rbind", "ro"}},
			oci.Mount{Destination: "/huge", Source: "hugepages://2M/h1", Type: "bind", Options: []string{"rbind", "rw"}},
		)
		podStart(t, h, l, sb, w, spec)
		if got := podMustOutput(t, h, w, "sh", "-c", "test -b /dev/blk && dd if=/dev/blk bs=512 count=1 2>/dev/null | wc -c"); got != "512" {
			t.Errorf("reading the block device gave %q, want 512 bytes", got)
		}
		if _, code := podOutput(t, h, w, "sh", "-c", "echo x | dd of=/dev/blk conv=notrunc 2>/dev/null"); code == 0 {
			t.Error("wrote to a read-only blockdev:// mount")
		}
		// busybox stat has no name for it: HUGETLBFS_MAGIC.
		if got := podMustOutput(t, h, w, "stat", "-f", "-c", "%t", "/huge"); got != "958458f6" {
			t.Errorf("hugepages:// mount has file system type %q, want hugetlbfs (958458f6)", got)
		}
		for _, id := range []string{w, sb} {
			if err := h.c.ShutdownForced(testCtx(t), id); err != nil {
				t.Fatal(err)
			}
			h.notification(id)
			if err := h.c.DeleteContainerState(testCtx(t), id); err != nil {
				t.Fatalf("delete %s: %v", id, err)
			}
		}
	})
}
