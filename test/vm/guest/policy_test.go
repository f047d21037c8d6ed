package guest

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/storage/pmem"
	"github.com/linux-gcs/gcs/internal/storage/scsi"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestPolicyVerityLayers runs a confidential VM's layer handling for real:
// under a generated policy naming the busybox image's dm-verity root
// digest, that image on a SCSI disk and on a pmem device mounts through a
// dm-verity device the GCS makes from the superblock it reads itself (the
// host sends no VerityInfo); another image is refused on both, leaving no
// mount point and no device-mapper device; a container runs on the SCSI
// layer; every unmount removes its dm-verity device; and the unmount of a
// layer whose directory is gone is refused without harm.
func TestPolicyVerityLayers(t *testing.T) {
	if os.Getenv(envInVM) != "1" {
		t.Skip("runs in the test VM")
	}
	img, hash := testutil.VerityImage(t, testutil.BusyboxRootfs(t), 16<<20)
	busybox := mounttest.Loop(t, img, mounttest.LoopOptions{})
	busybox2 := mounttest.Loop(t, img, mounttest.LoopOptions{}) // the same layer, for pmem
	other, _ := testutil.VerityLayer(t, t.TempDir(), 4<<20)
	other2, _ := testutil.VerityLayer(t, t.TempDir(), 4<<20)
	f := testutil.NewFakeDevices(t)
	f.Timeout = 2 * time.Second
	f.AddDisk(t, 1, "sdv", busybox)
	f.AddDisk(t, 2, "sdw", other)
	f.AddNode(t, "pmem0", busybox2)
	f.AddNode(t, "pmem1", other2)
	g := startDutiesGCS(t, f.Args()...)
	ctx := testCtx(t)
	mounts := filepath.Join(g.dir, "mounts", "scsi")
	m := func(n int) string { return filepath.Join(mounts, fmt.Sprintf("m%d", n)) }
	modify := func(rt prot.RequestType, typ prot.ResourceType, s any) error {
		return g.c.ModifySettings(ctx, prot.NullContainerID, &prot.ModificationRequest{RequestType: rt, ResourceType: typ, Settings: s})
	}
	t.Cleanup(func() {
		for n := 1; n <= 5; n++ {
			unix.Unmount(m(n), unix.MNT_DETACH)
		}
	})
	rego := testutil.GeneratedPolicy(hash, "")
	if err := modify(prot.RequestTypeAdd, prot.ResourceTypeSecurityPolicy, &prot.LCOWConfidentialOptions{
		EncodedSecurityPolicy: base64.StdEncoding.EncodeToString([]byte(rego)),
	}); err != nil {
		t.Fatalf("set policy: %v", err)
	}
	verityDevices := func() []string {
		targets, err := devmapper.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for name := range targets {
			if strings.Contains(name, "verity") {
				names = append(names, name)
			}
		}
		return names
	}
	before := len(verityDevices())

	// Another image: refused on SCSI and on pmem, nothing made.
	wantPolicyDenial(t, "other image on SCSI", modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk,
		&prot.LCOWMappedVirtualDisk{MountPath: m(2), Lun: 2, ReadOnly: true, Options: []string{"ro"}}), "")
	wantPolicyDenial(t, "other image on pmem", modify(prot.RequestTypeAdd, prot.ResourceTypeVPMemDevice,
		&prot.LCOWMappedVPMemDevice{DeviceNumber: 1, MountPath: m(4)}), "")
	for _, p := range []string{m(2), m(4)} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("refused layer left %s", p)
		}
	}
	if n := len(verityDevices()); n != before {
		t.Errorf("refused layers left dm-verity devices: %v", verityDevices())
	}

	// The policy's image: mounted through dm-verity on both; the host's
	// VerityInfo (wrong on purpose) is ignored.
	disk := &prot.LCOWMappedVirtualDisk{MountPath: m(1), Lun: 1, ReadOnly: true, Options: []string{"ro"}}
	if err := modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
		t.Fatalf("SCSI layer: %v", err)
	}
	pm := &prot.LCOWMappedVPMemDevice{DeviceNumber: 0, MountPath: m(3), VerityInfo: &prot.DeviceVerityInfo{RootDigest: strings.Repeat("0", 64)}}
	if err := modify(prot.RequestTypeAdd, prot.ResourceTypeVPMemDevice, pm); err != nil {
		t.Fatalf("pmem layer: %v", err)
	}
	for target, dm := range map[string]string{m(1): scsi.VerityName(m(1)), m(3): pmem.VerityName(0, nil)} {
		e, ok, err := mount.Lookup(target)
		if err != nil || !ok {
			t.Fatalf("%s not mounted: %v", target, err)
		}
		if e.Source != devmapper.Path(dm) && !strings.HasPrefix(e.Source, "/dev/dm-") {
			t.Errorf("%s is mounted from %s, not through dm-verity %s", target, e.Source, dm)
		}
		if _, err := os.Stat(filepath.Join(target, "bin", "busybox")); err != nil {
			t.Errorf("layer at %s: %v", target, err)
		}
	}

	// A container on the SCSI layer.
	id := testutil.ConfidentialID("policy-vm")
	bundle := filepath.Join(g.dir, "root", "c", id)
	layers := &prot.LCOWCombinedLayers{ContainerID: id, ContainerRootPath: filepath.Join(bundle, "rootfs"),
		Layers: []prot.Layer{{Path: m(1)}}, ScratchPath: filepath.Join(bundle, "scratch", id)}
	if err := modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, layers); err != nil {
		t.Fatalf("overlay: %v", err)
	}
	spec := testutil.GeneratedPolicySpec(layers.ContainerRootPath, []string{testutil.RegoPath}, "sh", "-c", "env; exec sleep 1000")
	if err := g.c.CreateContainer(ctx, id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: bundle,
		OCISpecification: spec, ScratchDirPath: layers.ScratchPath,
	}); err != nil {
		t.Fatalf("create: %v", err)
	}
	pid, err := g.c.ExecuteProcess(ctx, id, &prot.ProcessParameters{}, prot.ExecuteProcessVsockStdioRelaySettings{})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	wantPolicyDenial(t, "unlisted signal", g.c.SignalProcess(ctx, id, pid, int32(unix.SIGUSR1)), "")
	if err := g.c.SignalProcess(ctx, id, pid, int32(unix.SIGKILL)); err != nil {
		t.Fatal(err)
	}
	if code, err := g.c.WaitForProcess(ctx, id, pid, -1); err != nil || code != 137 {
		t.Fatalf("wait: %d, %v", code, err)
	}
	if err := modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, layers); err != nil {
		t.Fatalf("remove overlay: %v", err)
	}
	if err := g.c.DeleteContainerState(ctx, id); err != nil {
		t.Fatalf("delete: %v", err)
	}

	// Unmounts remove the dm-verity devices.
	if err := modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
		t.Fatalf("unmount SCSI layer: %v", err)
	}
	if err := modify(prot.RequestTypeRemove, prot.ResourceTypeVPMemDevice, pm); err != nil {
		t.Fatalf("unmount pmem layer: %v", err)
	}
	if n := len(verityDevices()); n != before {
		t.Errorf("dm-verity devices left after unmount: %v", verityDevices())
	}

	// An unmount whose directory is gone is refused after the policy
	// answered and changes nothing: the VM stays usable.
	gone := &prot.LCOWMappedVirtualDisk{MountPath: m(5), Lun: 1, ReadOnly: true, Options: []string{"ro"}}
	if err := modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, gone); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devmapper.Remove(context.Background(), scsi.VerityName(m(5))) })
	if err := unix.Unmount(m(5), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(m(5)); err != nil {
		t.Fatal(err)
	}
	err = modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, gone)
	if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("unmount of a missing directory: %v", err)
	}
	if err := modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
		t.Fatalf("mount after a refused unmount: %v", err)
	}
	if err := modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
		t.Fatal(err)
	}
}
