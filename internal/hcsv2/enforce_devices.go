package hcsv2

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/plan9"
	"github.com/linux-gcs/gcs/internal/storage/pmem"
)

// confidentialMounts are the read-write devices and overlays mounted since
// a policy was set: whether a scratch is encrypted, and which overlays a
// container's state may not be deleted under.
type confidentialMounts struct {
	mu        sync.Mutex
	encrypted map[string]bool // rw device targets: encrypted or not
	overlays  map[string]bool // overlay targets
}

func (m *confidentialMounts) set(table *map[string]bool, key string, v bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if *table == nil {
		*table = make(map[string]bool)
	}
	(*table)[key] = v
}

func (m *confidentialMounts) drop(table *map[string]bool, key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(*table, key)
}

// isEncrypted reports whether p is on an encrypted read-write device.
func (m *confidentialMounts) isEncrypted(p string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for target, enc := range m.encrypted {
		if enc && (p == target || strings.HasPrefix(p, strings.TrimSuffix(target, "/")+"/")) {
			return true
		}
	}
	return false
}

func (m *confidentialMounts) hasOverlay(target string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.overlays[target]
}

// enforcedModify puts the policy in front of the utility-VM resources it
// decides on: disks, pmem devices, Plan 9 shares and container root file
// systems. Other resources are not handled here.
func (h *Host) enforcedModify(ctx context.Context, mr *prot.ModificationRequest) (handled bool, err error) {
	switch s := mr.Settings.(type) {
	case *prot.LCOWMappedVirtualDisk:
		if s.MountPath == "" || h.opts.Devices.SCSI == nil {
			return false, nil
		}
		return true, h.enforcedDisk(ctx, mr.RequestType, s)
	case *prot.LCOWMappedVPMemDevice:
		return true, h.enforcedPmem(ctx, mr.RequestType, s)
	case *prot.LCOWMappedDirectory:
		return true, h.enforcedShare(ctx, mr.RequestType, s)
	case *prot.LCOWCombinedLayers:
		return true, h.enforcedLayers(ctx, mr.RequestType, s)
	}
	return false, nil
}

// readVerity reads the dm-verity description of the layer on device.
func readVerity(device string) (devmapper.VerityInfo, error) {
	f, err := os.Open(device)
	if err != nil {
		return devmapper.VerityInfo{}, prot.Errorf(prot.HrFail, "read the dm-verity superblock of %s: %w", device, err)
	}
	defer f.Close()
	info, err := devmapper.ReadVerityInfo(f)
	if err != nil {
		return devmapper.VerityInfo{}, prot.Errorf(prot.HrFail, "read the dm-verity superblock of %s: %w", device, err)
	}
	return info, nil
}

// verityOf describes info the way a host would, for the pmem mount.
func verityOf(info devmapper.VerityInfo) *prot.DeviceVerityInfo {
	return &prot.DeviceVerityInfo{
		Ext4SizeInBytes: info.DataSize, Version: int(info.Version), Algorithm: info.Algorithm,
		SuperBlock: true, RootDigest: info.RootDigest, Salt: info.Salt, BlockSize: int(info.BlockSize),
	}
}

// checkUnmountTarget refuses, under a policy, to unmount what is not
// there; it runs after the policy answered, so that the host cannot probe
// arbitrary paths.
func (h *Host) checkUnmountTarget(what, target string) error {
	if h.hasSecurityPolicy() && missing(target) {
		return prot.Errorf(prot.HrFail, "unmount %s at %s: the directory does not exist", what, target)
	}
	return nil
}

func (h *Host) enforcedDisk(ctx context.Context, rt prot.RequestType, s *prot.LCOWMappedVirtualDisk) error {
	if err := h.checkConsistent(); err != nil {
		return err
	}
	d := h.opts.Devices
	conf := h.hasSecurityPolicy()
	var verity *devmapper.VerityInfo
	op := func() error { return h.modifyDisk(ctx, d, rt, s, verity) }
	switch rt {
	case prot.RequestTypeAdd:
		var hash string
		if conf && s.ReadOnly {
			if s.Filesystem != "" && s.Filesystem != "ext4" {
				return prot.Errorf(prot.HrFail, "a read-only SCSI mount must be ext4 in a confidential VM")
			}
			dev, err := d.SCSI.Lookup.Device(ctx, s.Controller, s.Lun, s.Partition)
			if err != nil {
				return prot.WithHResult(prot.HrFail, err)
			}
			info, err := readVerity(dev)
			if err != nil {
				return err
			}
			hash = info.RootDigest
			if !s.BlockDev {
				verity = &info // the layer is read through dm-verity
			}
		}
		if conf {
			want := []string{}
			if s.ReadOnly {
				want = []string{"ro"}
			}
			if !slices.Equal(s.Options, want) {
				return prot.Errorf(prot.HrFail, "mount of SCSI disk %d/%d at %s with options %q denied: a confidential VM wants %q",
					s.Controller, s.Lun, s.MountPath, strings.Join(s.Options, ","), strings.Join(want, ","))
			}
			// "ro" only restates ReadOnly; the mounter takes propagation
			// flags alone.
			s.Options = nil
		}
		what := fmt.Sprintf("mount of SCSI disk %d/%d at %s", s.Controller, s.Lun, s.MountPath)
		return h.enforced(ctx, what, func(e policy.Enforcer) (*policy.Decision, error) {
			switch {
			case s.BlockDev:
				return e.MountBlockDevice(ctx, policy.MountBlockDevice{Target: s.MountPath})
			case s.ReadOnly:
				return e.MountDevice(ctx, policy.MountDevice{Target: s.MountPath, DeviceHash: hash, MountPathRegex: policy.LayerMountPathRegex(h.mountsRoot())})
			}
			return e.RWMountDevice(ctx, policy.RWMountDevice{Target: s.MountPath, Encrypted: s.Encrypted,
				EnsureFilesystem: s.EnsureFilesystem, Filesystem: s.Filesystem, ContainerRoot: h.containerRoot()})
		}, func() error {
			if err := op(); err != nil {
				return err
			}
			if conf && !s.ReadOnly && !s.BlockDev {
				h.confMounts.set(&h.confMounts.encrypted, s.MountPath, s.Encrypted)
			}
			return nil
		})
	case prot.RequestTypeRemove:
		what := "unmount of SCSI disk at " + s.MountPath
		return h.enforced(ctx, what, func(e policy.Enforcer) (*policy.Decision, error) {
			switch {
			case s.BlockDev:
				return e.UnmountBlockDevice(ctx, policy.UnmountBlockDevice{Target: s.MountPath})
			case s.ReadOnly:
				return e.UnmountDevice(ctx, policy.UnmountDevice{Target: s.MountPath})
			}
			return e.RWUnmountDevice(ctx, policy.RWUnmountDevice{Target: s.MountPath})
		}, func() error {
			if err := h.checkUnmountTarget("SCSI disk", s.MountPath); err != nil {
				return err
			}
			if err := h.unmountFailed("SCSI disk", s.MountPath, op()); err != nil {
				return err
			}
			h.confMounts.drop(&h.confMounts.encrypted, s.MountPath)
			return nil
		})
	}
	return op()
}

func (h *Host) enforcedPmem(ctx context.Context, rt prot.RequestType, s *prot.LCOWMappedVPMemDevice) error {
	if err := h.checkConsistent(); err != nil {
		return err
	}
	d := h.opts.Devices
	var hash string
	if h.hasSecurityPolicy() {
		// The guest reads dm-verity itself: what the host says is ignored.
		if s.MappingInfo != nil {
			return prot.Errorf(prot.HrFail, "pmem device %d: multi-mapping is not supported with dm-verity", s.DeviceNumber)
		}
		info, err := readVerity(pmem.DevicePath(d.PmemDevRoot, s.DeviceNumber))
		if err != nil {
			return err
		}
		s.VerityInfo = verityOf(info)
		hash = info.RootDigest
	}
	op := func() error { return h.modifyPmem(ctx, d, rt, s) }
	switch rt {
	case prot.RequestTypeAdd:
		what := fmt.Sprintf("mount of pmem device %d at %s", s.DeviceNumber, s.MountPath)
		return h.enforced(ctx, what, func(e policy.Enforcer) (*policy.Decision, error) {
			return e.MountDevice(ctx, policy.MountDevice{Target: s.MountPath, DeviceHash: hash, MountPathRegex: policy.LayerMountPathRegex(h.mountsRoot())})
		}, op)
	case prot.RequestTypeRemove:
		return h.enforced(ctx, "unmount of pmem device at "+s.MountPath, func(e policy.Enforcer) (*policy.Decision, error) {
			return e.UnmountDevice(ctx, policy.UnmountDevice{Target: s.MountPath})
		}, func() error {
			if err := h.checkUnmountTarget("pmem device", s.MountPath); err != nil {
				return err
			}
			return h.unmountFailed("pmem device", s.MountPath, op())
		})
	}
	return op()
}

func (h *Host) enforcedShare(ctx context.Context, rt prot.RequestType, s *prot.LCOWMappedDirectory) error {
	if err := h.checkConsistent(); err != nil {
		return err
	}
	d := h.opts.Devices
	op := func() error { return h.modifyShare(ctx, d, rt, s) }
	switch rt {
	case prot.RequestTypeAdd:
		return h.enforced(ctx, "mount of Plan 9 share at "+s.MountPath, func(e policy.Enforcer) (*policy.Decision, error) {
			return e.Plan9Mount(ctx, policy.Plan9Mount{Target: s.MountPath, ContainerRoot: h.containerRoot()})
		}, func() error {
			// After the policy's answer, as in the reference; a refused
			// name is a failed operation, so the decision is rolled back
			// and nothing was made yet.
			if h.hasSecurityPolicy() {
				if err := plan9.ValidateShareName(s.ShareName); err != nil {
					return prot.Errorf(prot.HrFail, "mount of Plan 9 share at %s: share name refused in a confidential VM: %w", s.MountPath, err)
				}
			}
			return op()
		})
	case prot.RequestTypeRemove:
		return h.enforced(ctx, "unmount of Plan 9 share at "+s.MountPath, func(e policy.Enforcer) (*policy.Decision, error) {
			return e.Plan9Unmount(ctx, policy.Plan9Unmount{Target: s.MountPath})
		}, func() error { return h.unmountFailed("Plan 9 share", s.MountPath, op()) })
	}
	return op()
}

// checkConfidentialLayers applies the reference's path rules to a root
// file system mounted under a policy: the container's id, its rootfs where
// Create will want it, its scratch in a container's directory.
func (h *Host) checkConfidentialLayers(s *prot.LCOWCombinedLayers) error {
	if err := h.checkConfidentialID(s.ContainerID, "container"); err != nil {
		return err
	}
	if s.ContainerID == "" {
		return prot.Errorf(prot.HrFail, "combined layers without a container id in a confidential VM")
	}
	want := h.containerRoot() + "/" + s.ContainerID + "/rootfs"
	if s.ContainerRootPath != want {
		return prot.Errorf(prot.HrFail, "combined layers target %q must be %q in a confidential VM", s.ContainerRootPath, want)
	}
	if s.ScratchPath == "" {
		return nil
	}
	pattern := "^" + regexp.QuoteMeta(h.containerRoot()) + "/[0-9a-fA-F]{64}/scratch/" + regexp.QuoteMeta(s.ContainerID) + "$"
	if !regexp.MustCompile(pattern).MatchString(s.ScratchPath) {
		return prot.Errorf(prot.HrFail, "scratch path %q must match %q in a confidential VM", s.ScratchPath, pattern)
	}
	return nil
}

func (h *Host) enforcedLayers(ctx context.Context, rt prot.RequestType, s *prot.LCOWCombinedLayers) error {
	if err := h.checkConsistent(); err != nil {
		return err
	}
	conf := h.hasSecurityPolicy()
	op := func() error { return h.modifyCombinedLayers(ctx, rt, s) }
	switch rt {
	case prot.RequestTypeAdd:
		if conf {
			if err := h.checkConfidentialLayers(s); err != nil {
				return err
			}
		}
		var scratch *policy.Decision
		if s.ScratchPath != "" {
			var err error
			scratch, err = h.decide("scratch mount", func(e policy.Enforcer) (*policy.Decision, error) {
				return e.ScratchMount(ctx, policy.ScratchMount{Target: s.ScratchPath, Encrypted: h.confMounts.isEncrypted(s.ScratchPath)})
			})
			if err != nil {
				return err
			}
		}
		layers := make([]string, len(s.Layers))
		for i, l := range s.Layers {
			layers[i] = l.Path
		}
		octx := ctx
		if scratch != nil {
			octx = policy.Join(ctx, scratch) // one transaction: both or neither
		}
		err := h.enforced(ctx, "overlay creation", func(e policy.Enforcer) (*policy.Decision, error) {
			return e.MountOverlay(octx, policy.MountOverlay{ContainerID: s.ContainerID, LayerPaths: layers, Target: s.ContainerRootPath})
		}, func() error {
			if err := op(); err != nil {
				return err
			}
			if conf {
				h.confMounts.set(&h.confMounts.overlays, s.ContainerRootPath, true)
			}
			return nil
		})
		if scratch != nil {
			return h.settle(ctx, scratch, err)
		}
		return err
	case prot.RequestTypeRemove:
		return h.enforced(ctx, "overlay removal", func(e policy.Enforcer) (*policy.Decision, error) {
			return e.UnmountOverlay(ctx, policy.UnmountOverlay{Target: s.ContainerRootPath})
		}, func() error {
			if conf && h.overlayInUse(s.ContainerRootPath) {
				return prot.Errorf(prot.HrFail, "overlay %q is in use by a running container", s.ContainerRootPath)
			}
			if err := h.unmountFailed("overlay", s.ContainerRootPath, op()); err != nil {
				return err
			}
			h.confMounts.drop(&h.confMounts.overlays, s.ContainerRootPath)
			return nil
		})
	}
	return op()
}

// overlayInUse reports whether a running container has target as its root.
func (h *Host) overlayInUse(target string) bool {
	for _, c := range h.allContainers() {
		if c.rootfs == target && c.isStarted() && c.init != nil && !c.init.hasExited() {
			return true
		}
	}
	return false
}
