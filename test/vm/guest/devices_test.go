package guest

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// The VM's devices, as test/vm/vmrun attaches them. Each disk holds
// hello.txt with "gcs-vm NAME\n".
const (
	coldLUN = 3 // attached at start
	hotLUN  = 5 // hot-added through QMP on request
	// nicMAC is the VM's virtio-net NIC (on a hub that leads nowhere), in
	// the host's notation.
	nicMAC      = "52-54-00-12-34-56"
	nicMACLinux = "52:54:00:12:34:56"
)

// scsiDevice waits for the SCSI device at controller 0 (the only
// virtio-scsi adapter), target 0, lun, and returns its sysfs path.
func scsiDevice(t testing.TB, lun string, within time.Duration) string {
	t.Helper()
	var found string
	waitFor(within, func() bool {
		m, _ := filepath.Glob("/sys/bus/scsi/devices/*:0:0:" + lun)
		if len(m) == 1 {
			found = m[0]
		}
		return found != ""
	})
	return found
}

func checkHello(t testing.TB, dir, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "hello.txt"))
	if err != nil {
		t.Fatalf("the mounted disk: %v", err)
	}
	if want := "gcs-vm " + name + "\n"; string(b) != want {
		t.Fatalf("hello.txt says %q, want %q: not the expected disk", b, want)
	}
}

func checkUnmounted(t testing.TB, target string) {
	t.Helper()
	if !waitFor(5*time.Second, func() bool { m, err := isMountPoint(target); return err == nil && !m }) {
		t.Errorf("%s is still a mount point after Remove", target)
	}
}

func mustMounted(t testing.TB, target string) {
	t.Helper()
	if m, err := isMountPoint(target); err != nil || !m {
		t.Fatalf("%s is not a mount point after Add (%v)", target, err)
	}
}

func scsiDisk(lun uint8, target string, readOnly bool) *prot.ModificationRequest {
	return &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeMappedVirtualDisk,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWMappedVirtualDisk{
			MountPath: target, Controller: 0, Lun: lun, ReadOnly: readOnly,
		},
	}
}

// removeOnCleanup sends req as a Remove after the test, unless done says
// the test removed it itself.
func (h *host) removeOnCleanup(t *testing.T, req *prot.ModificationRequest, done *bool) {
	t.Cleanup(func() {
		if *done {
			return
		}
		r := *req
		r.RequestType = prot.RequestTypeRemove
		if err := h.client(t).ModifySettings(context.Background(), prot.NullContainerID, &r); err != nil {
			t.Errorf("clean-up: remove %s: %v", r.ResourceType, err)
		}
	})
}

// TestSCSIDiskAttachedAtStart mounts the disk qemu attached at LUN 3
// read-only with MappedVirtualDisk, as the host does with a layer disk.
func TestSCSIDiskAttachedAtStart(t *testing.T) {
	h := vm(t)
	if scsiDevice(t, "3", 15*time.Second) == "" {
		t.Fatal("the VM has no SCSI disk at LUN 3 (qemu's virtio-scsi disk)")
	}
	const target = "/run/mounts/scsi/m3"
	req := scsiDisk(coldLUN, target, true)
	h.modify(t, "MappedVirtualDisk Add (LUN 3, read-only)", req)
	removed := false
	h.removeOnCleanup(t, req, &removed)
	mustMounted(t, target)
	checkHello(t, target, "scsi-lun3")
	if err := os.WriteFile(filepath.Join(target, "new.txt"), []byte("x"), 0o644); !errors.Is(err, syscall.EROFS) {
		t.Errorf("writing to the read-only disk: %v, want EROFS", err)
	}
	req.RequestType = prot.RequestTypeRemove
	h.modify(t, "MappedVirtualDisk Remove (LUN 3)", req)
	removed = true
	checkUnmounted(t, target)
}

// TestSCSIDiskHotAdded has the host runner hot-add a disk at LUN 5
// through QMP (blockdev-add, device_add scsi-hd), mounts it read-write with
// MappedVirtualDisk, unmounts it and unplugs it with SCSIDevice Remove.
func TestSCSIDiskHotAdded(t *testing.T) {
	h := vm(t)
	if a := hostRequest(t, "hotadd-scsi 5"); !strings.HasPrefix(a, "ok") {
		t.Fatalf("the host could not hot-add the disk: %s", a)
	}
	dev := scsiDevice(t, "5", 20*time.Second)
	if dev == "" {
		t.Fatal("the hot-added disk never appeared at LUN 5")
	}
	const target = "/run/mounts/scsi/m5"
	req := scsiDisk(hotLUN, target, false)
	h.modify(t, "MappedVirtualDisk Add (LUN 5, hot-added)", req)
	removed := false
	h.removeOnCleanup(t, req, &removed)
	mustMounted(t, target)
	checkHello(t, target, "scsi-lun5")
	p := filepath.Join(target, "written-by-the-guest.txt")
	if err := os.WriteFile(p, []byte("rw\n"), 0o644); err != nil {
		t.Fatalf("write to the read-write disk: %v", err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "rw\n" {
		t.Fatalf("read back %q %v", b, err)
	}
	req.RequestType = prot.RequestTypeRemove
	h.modify(t, "MappedVirtualDisk Remove (LUN 5)", req)
	removed = true
	checkUnmounted(t, target)

	h.modify(t, "SCSIDevice Remove (LUN 5)", &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeSCSIDevice,
		RequestType:  prot.RequestTypeRemove,
		Settings:     &prot.SCSIDevice{Controller: 0, Lun: hotLUN},
	})
	if !waitFor(10*time.Second, func() bool { _, err := os.Stat(dev); return err != nil }) {
		t.Errorf("%s still exists after SCSIDevice Remove", dev)
	}
}

// TestVPMemDevice mounts the VM's nvdimm (/dev/pmem0) as a VPMem layer.
func TestVPMemDevice(t *testing.T) {
	h := vm(t)
	if !waitFor(10*time.Second, func() bool { _, err := os.Stat("/dev/pmem0"); return err == nil }) {
		t.Fatal("the VM has no /dev/pmem0 (qemu's nvdimm)")
	}
	const target = "/run/layers/p0"
	req := &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeVPMemDevice,
		RequestType:  prot.RequestTypeAdd,
		Settings:     &prot.LCOWMappedVPMemDevice{DeviceNumber: 0, MountPath: target},
	}
	h.modify(t, "VPMemDevice Add (device 0)", req)
	removed := false
	h.removeOnCleanup(t, req, &removed)
	mustMounted(t, target)
	checkHello(t, target, "pmem0")
	req.RequestType = prot.RequestTypeRemove
	h.modify(t, "VPMemDevice Remove (device 0)", req)
	removed = true
	checkUnmounted(t, target)
}

// TestPlan9Share serves a directory over 9P2000.L on a vsock relay port,
// as the host does for a mapped directory; the GCS dials it and mounts it
// with trans=fd.
func TestPlan9Share(t *testing.T) {
	h := vm(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("served over vsock\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "deep.txt"), []byte("deep\n"), 0o644)
	const share = "vmtest-share"
	srv := newP9Server(map[string]string{share: dir})
	port, ln, err := h.relay.Listen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		served <- srv.serve(c)
	}()
	const target = "/run/mounts/m1"
	req := &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeMappedDirectory,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWMappedDirectory{
			MountPath: target, Port: int32(port), ShareName: share, ReadOnly: true,
		},
	}
	h.modify(t, "MappedDirectory Add (Plan 9 share)", req)
	removed := false
	h.removeOnCleanup(t, req, &removed)
	mustMounted(t, target)
	if b, err := os.ReadFile(filepath.Join(target, "hello.txt")); err != nil || string(b) != "served over vsock\n" {
		t.Errorf("hello.txt over 9p: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(target, "sub", "deep.txt")); err != nil || string(b) != "deep\n" {
		t.Errorf("sub/deep.txt over 9p: %q %v", b, err)
	}
	if ents, err := os.ReadDir(target); err != nil || strings.Join(sortedNames(ents), ",") != "hello.txt,sub" {
		t.Errorf("listing over 9p: %v %v", sortedNames(ents), err)
	}
	if err := os.WriteFile(filepath.Join(target, "new.txt"), []byte("x"), 0o644); err == nil {
		t.Error("wrote to a read-only share")
	}
	if got := srv.attaches(); len(got) == 0 || got[0] != share {
		t.Errorf("attach names %q, want %q (aname=ShareName)", got, share)
	}
	req.RequestType = prot.RequestTypeRemove
	h.modify(t, "MappedDirectory Remove", req)
	removed = true
	checkUnmounted(t, target)
	select {
	case err := <-served:
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, fs.ErrClosed) {
			t.Logf("the share's connection ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the share's connection is still open 10s after Remove")
	}
}

// rootLinkWithMAC returns the name of the VM's (root namespace) link with
// the given MAC address, or "".
func rootLinkWithMAC(mac string) string {
	m, _ := filepath.Glob("/sys/class/net/*/address")
	for _, p := range m {
		b, err := os.ReadFile(p)
		if err == nil && strings.TrimSpace(string(b)) == mac {
			return filepath.Base(filepath.Dir(p))
		}
	}
	return ""
}

// TestNetworkAdapterIntoContainer has the GCS move the VM's NIC into a
// container's network namespace and configure it, as the host does for a
// container's endpoint: the adapter is announced for a namespace id first,
// then the container that owns the namespace is created (hcsshim names it
// in the spec's windows.network.networkNamespace).
func TestNetworkAdapterIntoContainer(t *testing.T) {
	h := vm(t)
	if !waitFor(10*time.Second, func() bool { return rootLinkWithMAC(nicMACLinux) != "" }) {
		t.Fatalf("the VM has no NIC with MAC %s (qemu's virtio-net)", nicMACLinux)
	}
	const nsID = "7d1b5a2e-4c1f-4f59-9d2b-000000000001"
	req := &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeNetwork,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWNetworkAdapter{
			NamespaceID: nsID,
			ID:          "4f0b9c3a-1e2d-4b7a-8c6f-000000000002",
			MacAddress:  nicMAC,
			IPConfigs:   []prot.LCOWIPConfig{{IPAddress: "192.168.77.2", PrefixLength: 24}},
			Routes:      []prot.LCOWRoute{{NextHop: "192.168.77.1", DestinationPrefix: "0.0.0.0/0"}},
		},
	}
	h.modify(t, "Network Add", req)
	removed := false
	h.removeOnCleanup(t, req, &removed)

	id := h.id("net")
	spec := specFor("sleep", "1000")
	spec.Windows = &oci.Windows{Network: &oci.WindowsNetwork{NetworkNamespace: nsID}}
	h.create(t, id, spec)
	c := h.client(t)
	if err := c.Start(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	ns := h.stdio(t, false, false, false)
	if _, err := c.ExecuteProcess(testCtx(t), id, ns.params(), ns.settings); err != nil {
		t.Fatal(err)
	}
	s := h.stdio(t, false, true, true)
	params := s.params()
	params.OCIProcess = process("sh", "-c", "cat /sys/class/net/*/address; ip -o addr; ip route")
	pid, err := c.ExecuteProcess(testCtx(t), id, params, s.settings)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut := readAll(s.out), readAll(s.errc)
	if code := h.wait(t, id, pid); code != 0 {
		t.Errorf("exec exit code %d: %s", code, recv(t, "stderr", errOut))
	}
	got := string(recv(t, "stdout", out))
	for _, want := range []string{nicMACLinux, "192.168.77.2/24", "default via 192.168.77.1"} {
		if !strings.Contains(got, want) {
			t.Errorf("the container's network lacks %q:\n%s", want, got)
		}
	}
	if l := rootLinkWithMAC(nicMACLinux); l != "" {
		t.Errorf("the NIC (%s) is still in the VM's namespace", l)
	}
	req.RequestType = prot.RequestTypeRemove
	h.modify(t, "Network Remove", req)
	removed = true
	if !waitFor(10*time.Second, func() bool { return rootLinkWithMAC(nicMACLinux) != "" }) {
		t.Error("the NIC did not come back to the VM's namespace after Remove")
	}
}
