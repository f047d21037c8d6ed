package hcsv2

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/plan9"
	"github.com/linux-gcs/gcs/internal/storage/pmem"
	"github.com/linux-gcs/gcs/internal/storage/scsi"
)

// DefaultVPCITimeout bounds the wait for an assigned PCI device.
const DefaultVPCITimeout = 30 * time.Second

// Devices is how the Host reaches attached devices; its fields are seams
// that tests point at real non-Hyper-V devices.
type Devices struct {
	// SCSI finds and mounts SCSI disks.
	SCSI *scsi.Mounter
	// PmemDevRoot is where pmemN device nodes live ("" for /dev).
	PmemDevRoot string
	// SysRoot is the sysfs root for VPCI lookups ("" for /sys).
	SysRoot string
	// VPCITimeout bounds the wait for a VPCI device (0 for the default).
	VPCITimeout time.Duration
	// AllowedRoots are the only directories devices may be mounted below.
	AllowedRoots []string
}

// modifyDevice handles the device resource types at the utility-VM level.
func (h *Host) modifyDevice(ctx context.Context, mr *prot.ModificationRequest) (handled bool, err error) {
	d := h.opts.Devices
	switch s := mr.Settings.(type) {
	case *prot.LCOWMappedVirtualDisk:
		return true, h.modifyDisk(ctx, d, mr.RequestType, s, nil)
	case *prot.SCSIDevice:
		if mr.RequestType != prot.RequestTypeRemove {
			return true, unsupportedRequest(mr)
		}
		if d.SCSI == nil {
			return true, prot.Errorf(prot.HrFail, "SCSI devices are not supported by this GCS")
		}
		if err := d.SCSI.Lookup.Unplug(ctx, s.Controller, s.Lun); err != nil {
			return true, prot.WithHResult(prot.HrFail, err)
		}
		return true, nil
	case *prot.LCOWMappedVPMemDevice:
		return true, h.modifyPmem(ctx, d, mr.RequestType, s)
	case *prot.LCOWMappedDirectory:
		return true, h.modifyShare(ctx, d, mr.RequestType, s)
	case *prot.LCOWMappedVPCIDevice:
		if mr.RequestType != prot.RequestTypeAdd {
			return true, unsupportedRequest(mr)
		}
		return true, waitVPCI(ctx, d, s.VMBusGUID)
	}
	return false, nil
}

// modifyDisk mounts or unmounts a SCSI disk; verity, when set, is the
// dm-verity the guest read on a read-only layer (see enforcedDisk).
func (h *Host) modifyDisk(ctx context.Context, d Devices, rt prot.RequestType, s *prot.LCOWMappedVirtualDisk, verity *devmapper.VerityInfo) error {
	if d.SCSI == nil {
		return prot.Errorf(prot.HrFail, "SCSI disks are not supported by this GCS")
	}
	if s.MountPath == "" {
		return nil // the reference attaches nothing without a mount path
	}
	switch rt {
	case prot.RequestTypeAdd:
		dev, err := d.SCSI.Lookup.Device(ctx, s.Controller, s.Lun, s.Partition)
		if err != nil {
			return prot.WithHResult(prot.HrFail, err)
		}
		err = h.mountAt(s.MountPath, func() error {
			return d.SCSI.Mount(ctx, dev, s.MountPath, scsi.MountOptions{
				ReadOnly: s.ReadOnly, Filesystem: s.Filesystem, EnsureFilesystem: s.EnsureFilesystem,
				Options: s.Options, BlockDev: s.BlockDev, Encrypted: s.Encrypted, Verity: verity,
			})
		})
		return prot.WithHResult(prot.HrFail, err)
	case prot.RequestTypeRemove:
		if err := d.SCSI.Unmount(ctx, s.MountPath); err != nil {
			return prot.WithHResult(prot.HrFail, err)
		}
		h.release(s.MountPath)
		return nil
	}
	return unsupportedRequest(&prot.ModificationRequest{RequestType: rt, ResourceType: prot.ResourceTypeMappedVirtualDisk})
}

func (h *Host) modifyPmem(ctx context.Context, d Devices, rt prot.RequestType, s *prot.LCOWMappedVPMemDevice) error {
	o := pmem.Options{
		MappingInfo: s.MappingInfo, Verity: s.VerityInfo, DevRoot: d.PmemDevRoot,
		AllowedRoots: d.AllowedRoots, Log: h.log,
	}
	var err error
	switch rt {
	case prot.RequestTypeAdd:
		err = h.mountAt(s.MountPath, func() error { return pmem.Mount(ctx, s.DeviceNumber, s.MountPath, o) })
	case prot.RequestTypeRemove:
		if err = pmem.Unmount(ctx, s.DeviceNumber, s.MountPath, o); err == nil {
			h.release(s.MountPath)
		}
	default:
		return unsupportedRequest(&prot.ModificationRequest{RequestType: rt, ResourceType: prot.ResourceTypeVPMemDevice})
	}
	return prot.WithHResult(prot.HrFail, err)
}

// modifyShare mounts a host directory over Plan 9 on a connection to the
// host's port, dialed through the relay like stdio.
func (h *Host) modifyShare(ctx context.Context, d Devices, rt prot.RequestType, s *prot.LCOWMappedDirectory) error {
	o := plan9.Options{ShareName: s.ShareName, ReadOnly: s.ReadOnly, AllowedRoots: d.AllowedRoots, Log: h.log}
	switch rt {
	case prot.RequestTypeAdd:
		if s.Port <= 0 {
			return prot.Errorf(prot.HrInvalidArg, "MappedDirectory port %d", s.Port)
		}
		conn, err := h.opts.Relay.Dial(ctx, uint32(s.Port))
		if err != nil {
			return prot.Errorf(prot.HrFail, "connect to Plan 9 share %q: %w", s.ShareName, err)
		}
		defer conn.Close() // the kernel keeps its own reference
		return prot.WithHResult(prot.HrFail, h.mountAt(s.MountPath, func() error { return plan9.Mount(ctx, conn, s.MountPath, o) }))
	case prot.RequestTypeRemove:
		if err := plan9.Unmount(ctx, s.MountPath, o); err != nil {
			return prot.WithHResult(prot.HrFail, err)
		}
		h.release(s.MountPath)
		return nil
	}
	return unsupportedRequest(&prot.ModificationRequest{RequestType: rt, ResourceType: prot.ResourceTypeMappedDirectory})
}

// isGUID reports whether s is a GUID in its canonical text form
// (8-4-4-4-12 hexadecimal digits, either case), as hosts write VMBus
// instance ids.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// waitVPCI waits, bounded, until the PCI device behind a VMBus instance has
// appeared in sysfs. guid must be a GUID: it becomes part of a glob
// pattern, where "*" or "[" would match other instances' devices.
func waitVPCI(ctx context.Context, d Devices, guid string) error {
	if !isGUID(guid) {
		return prot.Errorf(prot.HrInvalidArg, "VMBusGUID is not a GUID (8-4-4-4-12 hexadecimal digits)")
	}
	sys := d.SysRoot
	if sys == "" {
		sys = "/sys"
	}
	timeout := d.VPCITimeout
	if timeout <= 0 {
		timeout = DefaultVPCITimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dir := filepath.Join(sys, "bus", "vmbus", "devices", strings.ToLower(guid))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if matches, _ := filepath.Glob(filepath.Join(dir, "pci*", "*:*")); len(matches) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			_, statErr := os.Stat(dir)
			return prot.Errorf(prot.HrFail, "VPCI device %s did not appear within %v (vmbus device present: %v)",
				guid, timeout, statErr == nil)
		case <-tick.C:
		}
	}
}
