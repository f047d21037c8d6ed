package hcsv2

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Windows device id types naming a PCI device assigned to the utility VM
// (a VMBus instance id), as hcsshim's host writes them.
const (
	vpciIDTypeLegacy = "vpci"
	vpciIDType       = "vpci-instance-id"
)

// vpciRetryEvery is how often the device nodes of an assigned device are
// looked for while its driver has not made them yet.
const vpciRetryEvery = 100 * time.Millisecond

// addAssignedDevices adds to the spec, and allows in its device cgroup,
// every device node of the VM under /dev whose sysfs device lies below the
// PCI device of each vPCI device the host assigned to the container
// (spec.Windows.Devices), waiting (bounded) for the nodes to appear. Other
// device types (gpu) are left alone, as by the reference.
func (h *Host) addAssignedDevices(ctx context.Context, spec *oci.Spec) error {
	if spec.Windows == nil {
		return nil
	}
	d := h.opts.Devices
	timeout := d.VPCITimeout
	if timeout <= 0 {
		timeout = DefaultVPCITimeout
	}
	sys := d.SysRoot
	if sys == "" {
		sys = "/sys"
	}
	for _, wd := range spec.Windows.Devices {
		if wd.IDType != vpciIDType && wd.IDType != vpciIDTypeLegacy {
			continue
		}
		if err := waitVPCI(ctx, d, wd.ID); err != nil {
			return err
		}
		pci, err := vpciPath(sys, wd.ID)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, timeout)
		devs, err := devicesBelow(wctx, sys, "/dev", pci)
		cancel()
		if err != nil {
			return prot.Errorf(prot.HrFail, "device nodes of vPCI device %s: %w", wd.ID, err)
		}
		for _, dev := range devs {
			addDevice(spec, dev)
			m, n := dev.Major, dev.Minor
			res := ensureResources(spec)
			res.Devices = append(res.Devices, oci.LinuxDeviceCgroup{Allow: true, Type: dev.Type, Major: &m, Minor: &n, Access: "rwm"})
		}
	}
	return nil
}

// vpciPath returns the resolved sysfs path of the PCI device behind VMBus
// instance guid (SYS/bus/vmbus/devices/GUID/pciDDDD:BB/DDDD:BB*).
func vpciPath(sys, guid string) (string, error) {
	buses, _ := filepath.Glob(filepath.Join(sys, "bus", "vmbus", "devices", strings.ToLower(guid), "pci*"))
	for _, bus := range buses {
		prefix := strings.TrimPrefix(filepath.Base(bus), "pci")
		devs, _ := filepath.Glob(filepath.Join(bus, prefix+"*"))
		if len(devs) > 0 {
			p, err := filepath.EvalSymlinks(devs[0])
			if err != nil {
				return "", prot.Errorf(prot.HrFail, "vPCI device %s: %w", guid, err)
			}
			return p, nil
		}
	}
	return "", prot.Errorf(prot.HrFail, "vPCI device %s: no PCI device below its VMBus device", guid)
}

// devicesBelow lists the device nodes under devRoot whose sysfs device
// (SYS/dev/{block,char}/MAJ:MIN) is pci or below it, retrying until there
// is at least one or ctx ends.
func devicesBelow(ctx context.Context, sys, devRoot, pci string) ([]oci.LinuxDevice, error) {
	for {
		var out []oci.LinuxDevice
		err := filepath.WalkDir(devRoot, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if e.IsDir() {
				if p != devRoot && skipDevDirs[e.Name()] {
					return filepath.SkipDir
				}
				return nil
			}
			if e.Type()&fs.ModeDevice == 0 {
				return nil
			}
			rel, _ := filepath.Rel(devRoot, p)
			dev, ok := deviceNode(p, "/dev/"+rel)
			if !ok {
				return nil
			}
			kind := "char"
			if dev.Type == "b" {
				kind = "block"
			}
			real, err := filepath.EvalSymlinks(filepath.Join(sys, "dev", kind, fmt.Sprintf("%d:%d", dev.Major, dev.Minor)))
			if err == nil && (real == pci || strings.HasPrefix(real, pci+"/")) {
				out = append(out, dev)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) > 0 {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no device node found: %w", ctx.Err())
		case <-time.After(vpciRetryEvery):
		}
	}
}
