package test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// waitDeviceScript makes a node for /dev/loop-control (c 10:237, none of
// the runtime's defaults) and tries to open it for about five seconds,
// so that an update sent meanwhile can change the answer.
const waitDeviceScript = `mknod /dev/lc c 10 237 || exit 1
i=0
while [ $i -lt 50 ]; do
	if true </dev/lc 2>/dev/null; then echo opened; exit 0; fi
	sleep 0.1
	i=$((i+1))
done
echo refused`

// TestUpdateCannotGrantDevicesUnderPolicy: a container the policy allowed
// as unprivileged and without devices runs under the GCS's own device
// rules (deny-all, the runtime's defaults and what the policy was shown).
// UpdateContainer is not judged (as in the reference), so the device
// cgroup rules it carries must not reach the container: it still cannot
// open a node it made.
func TestUpdateCannotGrantDevicesUnderPolicy(t *testing.T) {
	major, minor := int64(10), int64(237)
	forEachRuntime(t, func(t *testing.T, runtime string) {
		h := newHostEnv(t, runtime)
		if err := h.setConfPolicy(unprivilegedOnlyPolicy, ""); err != nil {
			t.Fatalf("set policy: %v", err)
		}
		id := h.confidentialID("update-dev")
		spec := confSpec("sh", "-c", waitDeviceScript)
		if err := h.createConfidential(t, id, h.bundle(id), filepath.Join(h.bundle(id), "scratch", id), spec); err != nil {
			t.Fatalf("create: %v", err)
		}
		s := h.listenStdio(false, true, true)
		pid, err := h.startInit(id, s)
		if err != nil {
			t.Fatal(err)
		}
		out, errOut := h.readAll(s.out), h.readAll(s.err)
		upd := &prot.ModificationRequest{
			ResourceType: prot.ResourceTypeContainerConstraints, RequestType: prot.RequestTypeUpdate,
			Settings: &prot.LCOWContainerConstraints{Linux: oci.LinuxResources{Devices: []oci.LinuxDeviceCgroup{
				{Allow: true, Access: "rwm"},
				{Allow: true, Type: "c", Major: &major, Minor: &minor, Access: "rwm"},
			}}},
		}
		updErr := h.c.ModifySettings(testCtx(t), id, upd)
		if code := h.wait(id, pid); code != 0 {
			t.Fatalf("container exited %d: %s", code, <-errOut)
		}
		if got := strings.TrimSpace(<-out); got != "refused" {
			t.Fatalf("after an UpdateContainer carrying device rules (reply: %v) the container's /dev/loop-control was %s, want refused", updErr, got)
		}
		if updErr == nil {
			t.Fatalf("UpdateContainer with device rules accepted under a judging policy")
		}
		if got := fmt.Sprint(updErr); !strings.Contains(got, "device") {
			t.Fatalf("UpdateContainer refused with %q, want a reason naming the device rules", got)
		}
	})
}

// isMountPoint reports whether p is a mount point of this mount namespace.
func isMountPoint(t *testing.T, p string) bool {
	t.Helper()
	es, err := mount.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Point == p {
			return true
		}
	}
	return false
}

// TestDiskInUseByOverlayNotRemovedUnderPolicy: under a policy, a
// read-write disk that holds a mounted overlay (its scratch, or its mount
// point: the sandbox's rootfs on the sandbox's disk) cannot be removed,
// whatever the policy says of rw_unmount_device, as the reference refuses
// it (a device "still in use", or an unmount that fails busy): a removal
// would detach the disk under the container and let the policy forget it
// while its data is in use, so that another disk could be judged into its
// place. Once the overlay is gone the disk comes off.
func TestDiskInUseByOverlayNotRemovedUnderPolicy(t *testing.T) {
	for _, where := range []string{"scratch", "mount point"} {
		t.Run(where, func(t *testing.T) {
			f := testutil.NewFakeDevices(t)
			f.AddDisk(t, 2, "sdw", layerImage(t, "marker", "scratch disk"))
			h := newHostEnv(t, "runc", f.Args()...)
			rules := append([]string{"rw_mount_device", "rw_unmount_device"}, lifecyclePoints...)
			if err := h.setConfPolicy(customPolicy("", rules...), ""); err != nil {
				t.Fatalf("set policy: %v", err)
			}
			sandboxID := h.confidentialID("sandbox")
			sandbox := h.bundle(sandboxID)
			disk := &prot.LCOWMappedVirtualDisk{MountPath: sandbox, Lun: 2, Options: []string{}}
			if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
				t.Fatalf("add read-write disk: %v", err)
			}
			t.Cleanup(func() { unix.Unmount(sandbox, unix.MNT_DETACH) })
			id := h.confidentialID("uses-disk")
			layers := &prot.LCOWCombinedLayers{
				ContainerID: id, ContainerRootPath: filepath.Join(h.bundle(id), "rootfs"),
				Layers: []prot.Layer{{Path: h.layer}}, ScratchPath: filepath.Join(sandbox, "scratch", id),
			}
			if where == "mount point" {
				layers = &prot.LCOWCombinedLayers{
					ContainerID: sandboxID, ContainerRootPath: filepath.Join(sandbox, "rootfs"),
					Layers: []prot.Layer{{Path: h.layer}},
				}
			}
			if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, layers); err != nil {
				t.Fatalf("add overlay on the disk: %v", err)
			}
			t.Cleanup(func() { unix.Unmount(layers.ContainerRootPath, unix.MNT_DETACH) })

			err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk)
			if err == nil || client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "in use") {
				t.Fatalf("remove of a disk holding an overlay's %s = %v (still mounted: %v), want E_FAIL, in use",
					where, err, isMountPoint(t, sandbox))
			}
			if !isMountPoint(t, sandbox) {
				t.Fatalf("refused removal unmounted the disk")
			}
			if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, layers); err != nil {
				t.Fatalf("remove overlay: %v", err)
			}
			if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
				t.Fatalf("remove of the disk once the overlay is gone: %v (a refusal above must leave the VM consistent)", err)
			}
			if isMountPoint(t, sandbox) {
				t.Fatalf("disk still mounted after its removal")
			}
		})
	}
}
