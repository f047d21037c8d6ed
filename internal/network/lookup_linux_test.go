package network

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/vishvananda/netlink"
)

func TestPickByMAC(t *testing.T) {
	mac := net.HardwareAddr{0x00, 0x15, 0x5d, 0x11, 0x22, 0x33}
	other := net.HardwareAddr{0x00, 0x15, 0x5d, 0x11, 0x22, 0x34}
	link := func(name string, index, master int, hw net.HardwareAddr) netlink.Link {
		return &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: name, Index: index, MasterIndex: master, HardwareAddr: hw}}
	}
	tests := []struct {
		name  string
		links []netlink.Link
		want  string // "" for none
	}{
		{name: "none", links: []netlink.Link{link("eth0", 2, 0, other)}},
		{name: "match", links: []netlink.Link{link("eth0", 2, 0, other), link("eth1", 3, 0, mac)}, want: "eth1"},
		{name: "VF enslaved to the synthetic adapter", links: []netlink.Link{link("enP1s1", 4, 3, mac), link("eth1", 3, 0, mac)}, want: "eth1"},
		{name: "only an enslaved one", links: []netlink.Link{link("enP1s1", 4, 3, mac)}},
		{name: "lowest index wins", links: []netlink.Link{link("b", 7, 0, mac), link("a", 5, 0, mac)}, want: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pickByMAC(tt.links, mac)
			if (got == nil) != (tt.want == "") || (got != nil && got.Attrs().Name != tt.want) {
				t.Fatalf("pickByMAC = %v; want %q", got, tt.want)
			}
		})
	}
}

// fakeVMBus makes a sysfs root under a temporary directory whose VMBus
// device id (lower-cased) has a network interface ifname, under its pci*
// directory when vpci is set.
func fakeVMBus(t *testing.T, id, ifname string, vpci bool) string {
	t.Helper()
	root := t.TempDir()
	dev := filepath.Join(root, "bus", "vmbus", "devices", strings.ToLower(id))
	if vpci {
		dev = filepath.Join(dev, "pci0001:00", "0001:00:02.0")
	}
	if err := os.MkdirAll(filepath.Join(dev, "net", ifname), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestDefaultLookup(t *testing.T) {
	requireNetAdmin(t)
	v := newVeth(t)
	const id = "F8615163-DF3E-46C5-913F-F2D2F965ED0E"
	dash := strings.ToUpper(strings.ReplaceAll(v.mac.String(), ":", "-"))
	tests := []struct {
		name    string
		a       prot.LCOWNetworkAdapter
		sysRoot func(t *testing.T) string
		wantErr error // nil: found v.name
	}{
		{name: "MAC with dashes", a: prot.LCOWNetworkAdapter{ID: id, MacAddress: dash}},
		{name: "MAC with colons", a: prot.LCOWNetworkAdapter{ID: id, MacAddress: v.mac.String()}},
		{name: "VMBus id without MAC", a: prot.LCOWNetworkAdapter{ID: "{" + id + "}"},
			sysRoot: func(t *testing.T) string { return fakeVMBus(t, id, v.name, false) }},
		{name: "VMBus id when the MAC is unknown", a: prot.LCOWNetworkAdapter{ID: id, MacAddress: "02-00-00-00-00-01"},
			sysRoot: func(t *testing.T) string { return fakeVMBus(t, id, v.name, false) }},
		{name: "VPCI-assigned", a: prot.LCOWNetworkAdapter{ID: id, VPCIAssigned: true},
			sysRoot: func(t *testing.T) string { return fakeVMBus(t, id, v.name, true) }},
		{name: "unknown MAC", a: prot.LCOWNetworkAdapter{ID: id, MacAddress: "02-00-00-00-00-01"}, wantErr: ErrAdapterNotFound},
		{name: "unknown VMBus id", a: prot.LCOWNetworkAdapter{ID: "0000"},
			sysRoot: func(t *testing.T) string { return fakeVMBus(t, id, v.name, false) }, wantErr: ErrAdapterNotFound},
		{name: "nothing to search by", a: prot.LCOWNetworkAdapter{ID: id}, wantErr: ErrAdapterNotFound},
		{name: "bad MAC", a: prot.LCOWNetworkAdapter{ID: id, MacAddress: "02-00"}, wantErr: ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sysRoot := t.TempDir() // no VMBus
			if tt.sysRoot != nil {
				sysRoot = tt.sysRoot(t)
			}
			l := defaultLookup{sysRoot: sysRoot, timeout: 200 * time.Millisecond, log: testutil.Logger(t)}
			got, err := l.Find(context.Background(), &tt.a)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Find = %v, %v; want an error wrapping %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Attrs().Name != v.name {
				t.Fatalf("Find = %v, %v; want %s", got, err, v.name)
			}
		})
	}
}

func TestDefaultLookupWaitsForTheAdapter(t *testing.T) {
	requireNetAdmin(t)
	const id = "0B1D6A3E-0000-4000-8000-000000000001"
	v := newVeth(t)
	sysRoot := t.TempDir()
	l := defaultLookup{sysRoot: sysRoot, timeout: 5 * time.Second, log: testutil.Logger(t)}
	// The NIC "appears" on the VMBus a little after the request.
	timer := time.AfterFunc(150*time.Millisecond, func() {
		dir := filepath.Join(sysRoot, "bus", "vmbus", "devices", strings.ToLower(id), "net", v.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(func() { timer.Stop() })
	// With no VMBus directory yet and no MAC there is nothing to wait on,
	// so give it the directory but not the device.
	if err := os.MkdirAll(filepath.Join(sysRoot, "bus", "vmbus", "devices"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := l.Find(context.Background(), &prot.LCOWNetworkAdapter{ID: id})
	if err != nil || got.Attrs().Name != v.name {
		t.Fatalf("Find = %v, %v; want %s", got, err, v.name)
	}
}
