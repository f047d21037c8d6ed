package guest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// podScratchLUN is the disk test/vm/vmrun attaches at LUN 4 for the pod's
// scratch (read-write, ext4).
const podScratchLUN = 4

// podVM is a pod laid out as hcsshim's v0.15.0 controller lays it out:
// bundles in /run/gcs/pods/POD/ID, scratch on a SCSI disk at
// /run/mounts/scsi/<controller>_<lun>_<partition>/scratch/POD/ID.
type podVM struct {
	h      *host
	id     string
	disk   string   // the scratch disk's mount point
	layers []string // top first
}

func (p *podVM) bundle(id string) string { return filepath.Join(gcsRoot, "pods", p.id, id) }

func (p *podVM) scratch(id string) string { return filepath.Join(p.disk, "scratch", p.id, id) }

// create mounts the pod's layers for container id, creates it from spec
// and starts its init; cleanup forces it down and deletes it (if the test
// did not), then unmounts the layers.
func (p *podVM) create(t *testing.T, id string, spec *oci.Spec) {
	t.Helper()
	c := p.h.client(t)
	rootfs := filepath.Join(p.bundle(id), "rootfs")
	layers := &prot.LCOWCombinedLayers{ContainerRootPath: rootfs, ScratchPath: p.scratch(id)}
	for _, l := range p.layers {
		layers.Layers = append(layers.Layers, prot.Layer{Path: l})
	}
	req := &prot.ModificationRequest{ResourceType: prot.ResourceTypeCombinedLayers, RequestType: prot.RequestTypeAdd, Settings: layers}
	p.h.modify(t, "CombinedLayers Add for "+id, req)
	removed := false
	p.h.removeOnCleanup(t, req, &removed)
	spec.Root = &oci.Root{Path: rootfs}
	err := c.CreateContainer(testCtx(t), id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion:    prot.SchemaVersion{Major: 2, Minor: 1},
		OCIBundlePath:    p.bundle(id),
		OCISpecification: spec,
		ScratchDirPath:   p.scratch(id),
	})
	if err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
	p.h.deleteOnCleanup(t, id)
	if err := c.Start(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	s := p.h.stdio(t, false, false, false)
	if _, err := c.ExecuteProcess(testCtx(t), id, s.params(), s.settings); err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
}

// output runs args in container id and returns its stdout, failing the
// test on a non-zero exit.
func (p *podVM) output(t *testing.T, id string, args ...string) string {
	t.Helper()
	s := p.h.stdio(t, false, true, true)
	params := s.params()
	params.OCIProcess = process(args...)
	pid, err := p.h.client(t).ExecuteProcess(testCtx(t), id, params, s.settings)
	if err != nil {
		t.Fatalf("exec %v in %s: %v", args, id, err)
	}
	out, errOut := readAll(s.out), readAll(s.errc)
	if code := p.h.wait(t, id, pid); code != 0 {
		t.Fatalf("%v in %s exited %d: %s", args, id, code, recv(t, "stderr", errOut))
	}
	return strings.TrimSpace(string(recv(t, "stdout", out)))
}

// TestPodOnSCSIScratch runs a pod the way hcsshim's v0.15.0 controller
// does, on real devices: the scratch of every container on the SCSI disk
// at LUN 4 mounted at the host's /run/mounts/scsi/0_4_0, a read-only layer
// from the SCSI disk at LUN 3 over the busybox one, the VM's NIC in the
// sandbox's network namespace (which the workload shares), and the LUN 3
// disk again as a raw block device in the workload through blockdev://.
// Workload then sandbox are torn down with one notification each and
// nothing of the pod is left.
func TestPodOnSCSIScratch(t *testing.T) {
	h := vm(t)
	for _, lun := range []string{"3", "4"} {
		if scsiDevice(t, lun, 15*time.Second) == "" {
			t.Fatalf("the VM has no SCSI disk at LUN %s (qemu's virtio-scsi disks)", lun)
		}
	}
	if !waitFor(10*time.Second, func() bool { return rootLinkWithMAC(nicMACLinux) != "" }) {
		t.Fatalf("the VM has no NIC with MAC %s", nicMACLinux)
	}
	p := &podVM{h: h, id: h.id("pod"), disk: "/run/mounts/scsi/0_4_0"}
	addDevice := func(what string, req *prot.ModificationRequest) {
		h.modify(t, what, req)
		removed := false
		h.removeOnCleanup(t, req, &removed)
	}
	addDevice("scratch disk (LUN 4)", scsiDisk(podScratchLUN, p.disk, false))
	addDevice("layer disk (LUN 3)", scsiDisk(coldLUN, "/run/mounts/scsi/0_3_0", true))
	blk := scsiDisk(coldLUN, "/run/mounts/scsi/0_3_0-blk", true)
	blk.Settings.(*prot.LCOWMappedVirtualDisk).BlockDev = true
	addDevice("block device (LUN 3)", blk)
	const nsID = "7d1b5a2e-4c1f-4f59-9d2b-000000000009"
	addDevice("Network Add", &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeNetwork,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWNetworkAdapter{
			NamespaceID: nsID, ID: "4f0b9c3a-1e2d-4b7a-8c6f-000000000009", MacAddress: nicMAC,
			IPConfigs: []prot.LCOWIPConfig{{IPAddress: "192.168.78.2", PrefixLength: 24}},
		},
	})
	busybox := testutil.BusyboxRootfsAt(t, filepath.Join("/run/layers", p.id))
	t.Cleanup(func() { os.RemoveAll(busybox) })
	p.layers = []string{"/run/mounts/scsi/0_3_0", busybox}

	sb := p.id
	spec := specFor("sleep", "1000")
	spec.Hostname = "vmpod"
	spec.Annotations = map[string]string{"io.kubernetes.cri.container-type": "sandbox"}
	spec.Windows = &oci.Windows{Network: &oci.WindowsNetwork{NetworkNamespace: nsID}}
	p.create(t, sb, spec)
	w := h.id("w")
	spec = specFor("sleep", "1000")
	spec.Hostname = ""
	spec.Annotations = map[string]string{"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": sb}
	spec.Mounts = append(spec.Mounts,
		oci.Mount{Destination: "/data", Type: "bind", Source: "sandbox://data", Options: []string{"rbind", "rw"}},
		oci.Mount{Destination: "blockdev:///dev/blk", Type: "bind", Source: "/run/mounts/scsi/0_3_0-blk", Options: []string{"rbind", "ro"}},
	)
	p.create(t, w, spec)

	if got := p.output(t, w, "cat", "/hello.txt", "/etc/hostname"); got != "gcs-vm scsi-lun3\nvmpod" {
		t.Errorf("the workload sees %q, want the LUN 3 layer's file and the pod's hostname", got)
	}
	if a, b := p.output(t, sb, "readlink", "/proc/self/ns/net"), p.output(t, w, "readlink", "/proc/self/ns/net"); a != b {
		t.Errorf("network namespaces differ: sandbox %s, workload %s", a, b)
	}
	if got := p.output(t, w, "sh", "-c", "cat /sys/class/net/*/address; ip -o addr"); !strings.Contains(got, nicMACLinux) || !strings.Contains(got, "192.168.78.2/24") {
		t.Errorf("the workload does not see the pod's NIC:\n%s", got)
	}
	if got := p.output(t, w, "sh", "-c", "dd if=/dev/blk bs=512 count=1 2>/dev/null | wc -c"); got != "512" {
		t.Errorf("reading the blockdev:// device gave %q bytes, want 512", got)
	}
	p.output(t, w, "sh", "-c", "echo on-disk > /written; echo shared > /data/f")
	if b, err := os.ReadFile(filepath.Join(p.scratch(w), "upper", "written")); err != nil || string(b) != "on-disk\n" {
		t.Errorf("the workload's write is not on the scratch disk: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(p.bundle(sb), "sandboxMounts", "data", "f")); err != nil || string(b) != "shared\n" {
		t.Errorf("the sandbox:// write is not in the pod's root: %q %v", b, err)
	}

	c := h.client(t)
	for _, id := range []string{w, sb} {
		if err := c.ShutdownForced(testCtx(t), id); err != nil {
			t.Fatal(err)
		}
		if n := h.notification(t, id, 30*time.Second); n.Type != prot.NtForcedExit {
			t.Errorf("%s notification %+v", id, n)
		}
		if err := c.DeleteContainerState(testCtx(t), id); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(gcsRoot, "pods", p.id)); err == nil {
		t.Errorf("%s left behind", filepath.Join(gcsRoot, "pods", p.id))
	}
	if m, _ := isMountPoint(filepath.Join(p.bundle(sb), "sandboxTmpfsMounts")); m {
		t.Error("the pod's tmpfs is still mounted")
	}
}
