package hcsv2

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// vpciFakeSys builds a sysfs where VMBus device guid carries PCI device
// 0001:00:00.0, under which the VM's /dev/null (char 1:3) is said to live.
// A fake sysfs because this machine has no VMBus.
func vpciFakeSys(t *testing.T, guid string) string {
	sys := t.TempDir()
	pci := filepath.Join(sys, "devices", "pci0001:00", "0001:00:00.0")
	bus := filepath.Join(sys, "bus", "vmbus", "devices", guid, "pci0001:00")
	for _, d := range []string{filepath.Join(pci, "misc", "null"), bus, filepath.Join(sys, "dev", "char")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		filepath.Join(bus, "0001:00:00.0"):       pci,
		filepath.Join(sys, "dev", "char", "1:3"): filepath.Join(pci, "misc", "null"),
		filepath.Join(sys, "dev", "char", "1:5"): filepath.Join(sys, "devices", "virtual", "zero"),
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	return sys
}

func TestAddAssignedDevices(t *testing.T) {
	const guid = "9a1bd4ec-1a4f-4e29-a1f5-5e8b6b1e1a11"
	h := NewHost(Options{Devices: Devices{SysRoot: vpciFakeSys(t, guid), VPCITimeout: 2 * time.Second}})
	spec := podTestSpec(nil)
	spec.Windows = &oci.Windows{Devices: []oci.WindowsDevice{
		{ID: guid, IDType: vpciIDType},
		{ID: "whatever", IDType: "gpu"},
	}}
	if err := h.addAssignedDevices(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if len(spec.Linux.Devices) != 1 || spec.Linux.Devices[0].Path != "/dev/null" {
		t.Fatalf("devices %+v, want /dev/null alone", spec.Linux.Devices)
	}
	rules := spec.Linux.Resources.Devices
	if len(rules) != 1 || rules[0].Type != "c" || *rules[0].Major != 1 || *rules[0].Minor != 3 || !rules[0].Allow {
		t.Errorf("device cgroup %+v", rules)
	}

	spec = podTestSpec(nil)
	spec.Windows = &oci.Windows{Devices: []oci.WindowsDevice{{ID: "0bad0000-0000-0000-0000-000000000000", IDType: vpciIDTypeLegacy}}}
	h = NewHost(Options{Devices: Devices{SysRoot: vpciFakeSys(t, guid), VPCITimeout: 100 * time.Millisecond}})
	if err := h.addAssignedDevices(context.Background(), spec); err == nil {
		t.Error("a vPCI device that never appears was accepted")
	}
}

// A vPCI device id is a VMBus instance GUID, never a pattern: an id with
// glob metacharacters must not pick whatever assigned device it matches
// (another workload's), neither in a VPCIDevice Add nor in a spec.
func TestAssignedDeviceIDIsNoPattern(t *testing.T) {
	const guid = "9a1bd4ec-1a4f-4e29-a1f5-5e8b6b1e1a11"
	sys := vpciFakeSys(t, guid)
	h := NewHost(Options{Devices: Devices{SysRoot: sys, VPCITimeout: 100 * time.Millisecond}})
	for _, id := range []string{"*", "9a1bd4ec-*", "?a1bd4ec-1a4f-4e29-a1f5-5e8b6b1e1a11", "[0-9]a1bd4ec-1a4f-4e29-a1f5-5e8b6b1e1a11", `9a1bd4ec\-1a4f-4e29-a1f5-5e8b6b1e1a11`, "", "..", "a/b"} {
		t.Run(id, func(t *testing.T) {
			if err := waitVPCI(context.Background(), h.opts.Devices, id); prot.HResultOf(err) != prot.HrInvalidArg {
				t.Errorf("VPCIDevice Add of %q: %v, want E_INVALIDARG", id, err)
			}
			spec := podTestSpec(nil)
			spec.Windows = &oci.Windows{Devices: []oci.WindowsDevice{{ID: id, IDType: vpciIDType}}}
			if err := h.addAssignedDevices(context.Background(), spec); err == nil {
				t.Errorf("spec device %q accepted: devices %+v", id, spec.Linux.Devices)
			}
		})
	}
	// The id as the host spells it, either case, still works.
	for _, id := range []string{guid, "9A1BD4EC-1A4F-4E29-A1F5-5E8B6B1E1A11"} {
		if err := waitVPCI(context.Background(), h.opts.Devices, id); err != nil {
			t.Errorf("VPCIDevice Add of %q: %v", id, err)
		}
	}
}
