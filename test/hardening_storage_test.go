package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestFailedAddLeavesNoParentDirs: a SCSI disk, pmem device or Plan 9
// share Add whose target's parents are missing makes them all; when the
// mount then fails, it must remove them with the target, as a failed
// CombinedLayers Add does (hcsv2.mountAt once removed only the target).
func TestFailedAddLeavesNoParentDirs(t *testing.T) {
	h := failingDevicesHost(t)
	for i, tc := range failingDeviceAdds(t, h) {
		t.Run(tc.name, func(t *testing.T) {
			top := filepath.Join(h.root, "failed-parents", fmt.Sprint(i))
			if err := os.MkdirAll(filepath.Dir(top), 0o755); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(top, "a", "b", "mnt")
			if err := h.modify(prot.RequestTypeAdd, tc.typ, tc.settings(target)); client.HResult(err) != prot.HrFail {
				t.Fatalf("add: %v, want E_FAIL", err)
			}
			if _, err := os.Lstat(target); err == nil {
				t.Errorf("the failed Add left its mount point %s", target)
			}
			if _, err := os.Lstat(top); err == nil {
				left, _ := filepath.Glob(filepath.Join(top, "*", "*"))
				t.Errorf("the failed Add left the directories it made for %s: %s%v", target, top, left)
			}
		})
	}
}

// failingDevicesHost starts a GCS with a fake device tree holding a SCSI
// disk without a file system at LUN 2, for failingDeviceAdds.
func failingDevicesHost(t *testing.T) *hostEnv {
	t.Helper()
	f := testutil.NewFakeDevices(t)
	f.AddDisk(t, 2, "sdb", mounttest.Loop(t, mounttest.SparseFile(t, 8<<20), mounttest.LoopOptions{}))
	return newHostEnv(t, "runc", f.Args()...)
}

// failingDeviceAdd is a device Add that fails after the GCS made its
// mount point: typ and the settings for a mount path.
type failingDeviceAdd struct {
	name     string
	typ      prot.ResourceType
	settings func(string) any
}

// failingDeviceAdds are a SCSI disk, a pmem device and a Plan 9 share Add
// on h (from failingDevicesHost) that fail once their mount point is made:
// a disk without a file system, a pmem device that is not there, a share
// whose server hangs up.
func failingDeviceAdds(t *testing.T, h *hostEnv) []failingDeviceAdd {
	return []failingDeviceAdd{
		{"SCSI disk without a file system", prot.ResourceTypeMappedVirtualDisk, func(p string) any {
			return &prot.LCOWMappedVirtualDisk{MountPath: p, Lun: 2, ReadOnly: true}
		}},
		{"missing pmem device", prot.ResourceTypeVPMemDevice, func(p string) any {
			return &prot.LCOWMappedVPMemDevice{DeviceNumber: 7, MountPath: p}
		}},
		{"Plan 9 share without a server", prot.ResourceTypeMappedDirectory, func(p string) any {
			return &prot.LCOWMappedDirectory{MountPath: p, Port: h.hangUpPort(t), ShareName: "share"}
		}},
	}
}

// TestScratchRemovalFollowsNoLinkedParent: a workload's scratch may be
// below its sandbox's bundle (checkOthersPaths), e.g. in the sandbox's
// sandboxMounts/data, which every workload with a sandbox://data mount
// writes. One such workload swaps a parent of the victim's scratch for a
// symbolic link; deleting the victim must not remove the directory of the
// victim's name in whatever directory of the utility VM the link names
// (removeStateDirs once opened the scratch's parent following links).
// Create now refuses such a scratch (only <sandbox>/scratch is shared),
// which the test accepts too.
func TestScratchRemovalFollowsNoLinkedParent(t *testing.T) {
	h := newHostEnv(t, "runc")
	l := podLayouts()[0] // hcsoci
	sb := h.id("sb")
	l.setUp(t, h, sb)
	podStart(t, h, l, sb, sb, podSandboxSpec("podhost", "sleep", "1000"))

	attacker := h.id("attacker")
	spec := podWorkloadSpec(sb, "sleep", "1000")
	spec.Mounts = append(spec.Mounts, oci.Mount{Destination: "/shared", Type: "bind", Source: "sandbox://data", Options: []string{"rbind", "rw"}})
	podStart(t, h, l, sb, attacker, spec)

	victim := h.id("victim")
	scratch := filepath.Join(h.root, "c", sb, "sandboxMounts", "data", "d", victim)
	if err := h.createAt(victim, filepath.Join(h.root, "c", victim), scratch, podWorkloadSpec(sb, "sleep", "1000")); err != nil {
		// Create now refuses a scratch in the pod's shared directories;
		// the removal itself is covered by mount.RemoveAllBelow's tests.
		if hr := client.HResult(err); hr != prot.HrInvalidArg {
			t.Fatalf("create of a workload whose scratch is in sandboxMounts: %v, want E_INVALIDARG", err)
		}
		t.Logf("create refused: %v", err)
		return
	}

	// A directory of the utility VM outside every GCS root, holding one
	// of the victim's name.
	outside := filepath.Join(h.dir, "outside")
	precious := filepath.Join(outside, victim, "precious")
	if err := os.MkdirAll(filepath.Dir(precious), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(precious, []byte("uvm data"), 0o644); err != nil {
		t.Fatal(err)
	}

	// The attacker, from inside its container, moves d away and puts a
	// link in its place.
	podMustOutput(t, h, attacker, "sh", "-c", fmt.Sprintf("mv /shared/d /shared/d.old && ln -s %s /shared/d && ls -l /shared", outside))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := h.c.DeleteContainerState(ctx, victim)
	t.Logf("delete victim: %v", err)
	if _, err := os.Stat(precious); err != nil {
		t.Errorf("deleting workload %s removed %s, outside the GCS roots, through a link a pod container put in its scratch's parent: %v",
			victim, filepath.Dir(precious), err)
	}
}
