package test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// layerImage is a loop device holding an ext4 file system with one file.
func layerImage(t *testing.T, file, content string) string {
	img := mounttest.ImageFile(t, mounttest.Ext4Image(t, 16<<20, map[string]string{file: content}))
	return mounttest.Loop(t, img, mounttest.LoopOptions{})
}

func (h *hostEnv) modify(rt prot.RequestType, typ prot.ResourceType, settings any) error {
	return h.c.ModifySettings(testCtx(h.t), prot.NullContainerID, &prot.ModificationRequest{
		RequestType: rt, ResourceType: typ, Settings: settings,
	})
}

// hangUpPort listens on a relay port whose one connection is closed at
// once: no 9P server answers, so a share's mount there fails.
func (h *hostEnv) hangUpPort(t *testing.T) int32 {
	t.Helper()
	port, ln, err := h.relay.Listen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	return int32(port)
}

// runWithLayer creates a container whose top layer is layer, runs args in
// it and returns its stdout.
func (h *hostEnv) runWithLayer(t *testing.T, layer string, spec *oci.Spec) string {
	id := h.id("dev")
	rootfs := filepath.Join(h.bundle(id), "rootfs")
	layers := &prot.LCOWCombinedLayers{
		ContainerRootPath: rootfs,
		Layers:            []prot.Layer{{Path: layer}, {Path: h.layer}},
		ScratchPath:       filepath.Join(h.bundle(id), "scratch"),
	}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, layers); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, layers) })
	spec.Root = &oci.Root{Path: rootfs}
	err := h.c.CreateContainer(testCtx(t), id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: h.bundle(id), OCISpecification: spec,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.c.DeleteContainerState(context.Background(), id) })
	s := h.listenStdio(false, true, true)
	pid, err := h.startInit(id, s)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut := h.readAll(s.out), h.readAll(s.err)
	if code := h.wait(id, pid); code != 0 {
		t.Fatalf("container exited %d: %s", code, <-errOut)
	}
	return <-out
}

func TestDiskAsContainerLayer(t *testing.T) {
	f := testutil.NewFakeDevices(t)
	f.AddDisk(t, 3, "sdq", layerImage(t, "hello.txt", "from the disk\n"))
	h := newHostEnv(t, "runc", f.Args()...)
	disk := &prot.LCOWMappedVirtualDisk{MountPath: filepath.Join(h.root, "mounts", "d1"), Lun: 3, ReadOnly: true}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
			t.Errorf("remove disk: %v", err)
		}
	})
	if got := h.runWithLayer(t, disk.MountPath, specFor("cat", "/hello.txt")); got != "from the disk\n" {
		t.Fatalf("container read %q", got)
	}
}

func TestPmemAsContainerLayer(t *testing.T) {
	f := testutil.NewFakeDevices(t)
	f.AddNode(t, "pmem0", layerImage(t, "hello.txt", "from pmem\n"))
	h := newHostEnv(t, "runc", f.Args()...)
	dev := &prot.LCOWMappedVPMemDevice{DeviceNumber: 0, MountPath: filepath.Join(h.root, "layers", "p0")}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeVPMemDevice, dev); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeVPMemDevice, dev); err != nil {
			t.Errorf("remove pmem: %v", err)
		}
	})
	if got := h.runWithLayer(t, dev.MountPath, specFor("cat", "/hello.txt")); got != "from pmem\n" {
		t.Fatalf("container read %q", got)
	}
}

func TestBadDeviceSettings(t *testing.T) {
	f := testutil.NewFakeDevices(t)
	f.AddDisk(t, 1, "sdr", layerImage(t, "x", "x"))
	h := newHostEnv(t, "runc", f.Args()...)
	outside := filepath.Join(t.TempDir(), "elsewhere")
	for _, tc := range []struct {
		name     string
		typ      prot.ResourceType
		settings any
		want     prot.HResult
	}{
		{"unknown LUN", prot.ResourceTypeMappedVirtualDisk, &prot.LCOWMappedVirtualDisk{MountPath: filepath.Join(h.root, "mounts", "x"), Lun: 9}, prot.HrFail},
		{"mount outside the allowed roots", prot.ResourceTypeMappedVirtualDisk, &prot.LCOWMappedVirtualDisk{MountPath: outside, Lun: 1}, prot.HrFail},
		{"bad mount option", prot.ResourceTypeMappedVirtualDisk, &prot.LCOWMappedVirtualDisk{MountPath: filepath.Join(h.root, "mounts", "y"), Lun: 1, Options: []string{"exec"}}, prot.HrFail},
		{"missing pmem device", prot.ResourceTypeVPMemDevice, &prot.LCOWMappedVPMemDevice{DeviceNumber: 7, MountPath: filepath.Join(h.root, "layers", "p7")}, prot.HrFail},
		{"adapter with a bad address", prot.ResourceTypeNetwork, &prot.LCOWNetworkAdapter{NamespaceID: "ns-x", ID: "a1", MacAddress: "02-00-00-00-00-01", IPConfigs: []prot.LCOWIPConfig{{IPAddress: "10.1.2", PrefixLength: 8}}}, prot.HrFail},
		{"VPCI device that never appears", prot.ResourceTypeVPCIDevice, &prot.LCOWMappedVPCIDevice{VMBusGUID: "../../etc"}, prot.HrInvalidArg},
		{"Windows-only type", prot.ResourceTypeHvSocket, map[string]any{}, prot.HrFail},
	} {
		err := h.modify(prot.RequestTypeAdd, tc.typ, tc.settings)
		if client.HResult(err) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	// Nothing was left mounted, and the disk still mounts where allowed.
	disk := &prot.LCOWMappedVirtualDisk{MountPath: filepath.Join(h.root, "mounts", "ok"), Lun: 1, ReadOnly: true}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
		t.Fatalf("good disk after bad ones: %v", err)
	}
	if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(outside); err == nil {
		t.Errorf("mount point made outside the allowed roots")
	}
}

// vethPair makes a veth pair in the root namespace, the first end standing
// in for the host's adapter, with the given MAC; it is deleted after the
// test (wherever it is by then).
func vethPair(t *testing.T, mac string) string {
	b := make([]byte, 4)
	rand.Read(b)
	a, peer := "gva"+hex.EncodeToString(b), "gvb"+hex.EncodeToString(b)
	if out, err := exec.Command("ip", "link", "add", a, "address", mac, "type", "veth", "peer", "name", peer).CombinedOutput(); err != nil {
		t.Skipf("cannot make a veth pair: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", peer).Run() })
	return a
}

// startInNetNS creates and starts a sleeping container (id made from name)
// in host network namespace nsID, and returns a function that runs a
// command in it and returns its standard output.
func startInNetNS(t *testing.T, h *hostEnv, name, nsID string) func(args ...string) string {
	t.Helper()
	id := h.id(name)
	spec := specFor("sleep", "1000")
	spec.Windows = &oci.Windows{Network: &oci.WindowsNetwork{NetworkNamespace: nsID}}
	if err := h.create(id, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) string {
		s := h.listenStdio(false, true, false)
		pid, err := h.exec(id, process(args...), s)
		if err != nil {
			t.Fatal(err)
		}
		out := h.readAll(s.out)
		h.wait(id, pid)
		return <-out
	}
}

func TestNetworkAdapterInContainer(t *testing.T) {
	mac := "02:42:ac:11:00:07"
	link := vethPair(t, mac)
	h := newHostEnv(t, "runc", "-device-timeout", "1s")
	nsID := "6B1D2E3F-0000-4000-8000-00000000AB01"
	adapter := &prot.LCOWNetworkAdapter{
		NamespaceID: nsID, ID: "adapter-1", MacAddress: strings.ReplaceAll(strings.ToUpper(mac), ":", "-"),
		DNSServerList: "10.99.0.53", DNSSuffix: "svc.test",
		IPConfigs:     []prot.LCOWIPConfig{{IPAddress: "10.99.0.5", PrefixLength: 24}, {IPAddress: "fd00:99::5", PrefixLength: 64}},
		Routes:        []prot.LCOWRoute{{NextHop: "10.99.0.1", DestinationPrefix: "0.0.0.0/0"}},
		EncapOverhead: 50,
	}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeNetwork, adapter); err != nil {
		t.Fatal(err)
	}
	run := startInNetNS(t, h, "net", nsID)
	addrs := run("ip", "addr", "show", link)
	for _, want := range []string{"10.99.0.5/24", "fd00:99::5/64", "mtu 1450", "UP"} {
		if !strings.Contains(addrs, want) {
			t.Errorf("adapter in the container lacks %q:\n%s", want, addrs)
		}
	}
	if routes := run("ip", "route"); !strings.Contains(routes, "default via 10.99.0.1") {
		t.Errorf("routes:\n%s", routes)
	}
	if rc := run("cat", "/etc/resolv.conf"); !strings.Contains(rc, "nameserver 10.99.0.53") || !strings.Contains(rc, "search svc.test") {
		t.Errorf("resolv.conf:\n%s", rc)
	}
	if _, err := net.InterfaceByName(link); err == nil {
		t.Errorf("adapter still in the utility VM's namespace")
	}
	// Once the namespace is attached an adapter is looked up at once: one
	// that does not exist is refused with E_FAIL (as the reference), and
	// nothing is half-done.
	missing := &prot.LCOWNetworkAdapter{NamespaceID: nsID, ID: "adapter-2", MacAddress: "02-00-00-00-00-09"}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeNetwork, missing); client.HResult(err) != prot.HrFail {
		t.Errorf("adapter with no such MAC: %v", err)
	}
	if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeNetwork, &prot.LCOWNetworkAdapter{NamespaceID: nsID, ID: "adapter-1"}); err != nil {
		t.Fatal(err)
	}
	if addrs := run("ip", "addr"); strings.Contains(addrs, "10.99.0.5") {
		t.Errorf("adapter still in the container after Remove:\n%s", addrs)
	}
	if _, err := net.InterfaceByName(link); err != nil {
		t.Errorf("adapter not back in the utility VM: %v", err)
	}
}

// TestNetworkDNSServerZoneCannotInjectResolvConf: an IPv6 DNS server whose
// zone holds newlines ("fe80::1%x\n...") would put lines of the host's
// choosing into resolv.conf. Such an adapter is refused with E_FAIL, as
// other invalid Network settings are, and the resolv.conf of a container
// in that namespace holds only the well-formed adapter's lines.
func TestNetworkDNSServerZoneCannotInjectResolvConf(t *testing.T) {
	mac, hostileMAC := "02:42:ac:11:00:3d", "02:42:ac:11:00:3e"
	vethPair(t, mac)
	vethPair(t, hostileMAC) // so that only its settings can make it refused
	h := newHostEnv(t, "runc", "-device-timeout", "1s")
	nsID := "6B1D2E3F-0000-4000-8000-00000000AB3D"
	hostile := &prot.LCOWNetworkAdapter{
		NamespaceID: nsID, ID: "adapter-inj", MacAddress: strings.ReplaceAll(strings.ToUpper(hostileMAC), ":", "-"),
		DNSServerList: "fe80::1%x\nnameserver 203.0.113.66\noptions ndots:15",
	}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeNetwork, hostile); client.HResult(err) != prot.HrFail {
		t.Fatalf("adapter with a zoned DNS server: %v; want E_FAIL", err)
	}
	good := &prot.LCOWNetworkAdapter{
		NamespaceID: nsID, ID: "adapter-ok", MacAddress: strings.ReplaceAll(strings.ToUpper(mac), ":", "-"),
		DNSServerList: "10.98.0.53",
		IPConfigs:     []prot.LCOWIPConfig{{IPAddress: "10.98.0.5", PrefixLength: 24}},
	}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeNetwork, good); err != nil {
		t.Fatal(err)
	}
	run := startInNetNS(t, h, "netinj", nsID)
	if rc := run("cat", "/etc/resolv.conf"); rc != "nameserver 10.98.0.53\n" {
		t.Fatalf("container's resolv.conf = %q; want only the well-formed adapter's server", rc)
	}
}
