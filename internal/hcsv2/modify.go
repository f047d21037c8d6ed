package hcsv2

import (
	"context"
	"errors"
	"path/filepath"
	"sync"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/runtime"
	"github.com/linux-gcs/gcs/internal/storage/mount"
	"github.com/linux-gcs/gcs/internal/storage/overlay"
)

func (h *Host) handleModifySettings(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	msg, err := prot.UnmarshalContainerModifySettings(r.Body)
	if err != nil {
		return nil, err
	}
	mr := msg.ModificationRequest()
	if msg.ContainerID != prot.NullContainerID {
		c, err := h.container(msg.ContainerID)
		if err != nil {
			return nil, err
		}
		cc, ok := mr.Settings.(*prot.LCOWContainerConstraints)
		if !ok {
			return nil, prot.Errorf(prot.HrFail, "modifying %s is not supported for containers", mr.ResourceType)
		}
		if err := c.updateConstraints(ctx, cc); err != nil {
			return nil, err
		}
		return &prot.MessageResponseBase{}, nil
	}
	if err := h.modifyUVM(ctx, mr); err != nil {
		return nil, err
	}
	return &prot.MessageResponseBase{}, nil
}

// modifyUVM applies a utility-VM level resource change.
func (h *Host) modifyUVM(ctx context.Context, mr *prot.ModificationRequest) error {
	if err := h.checkDiskNotInUse(mr); err != nil {
		return err
	}
	if handled, err := h.enforcedModify(ctx, mr); handled {
		return err
	}
	if handled, err := h.modifyDevice(ctx, mr); handled {
		return err
	}
	switch s := mr.Settings.(type) {
	case *prot.LCOWCombinedLayers:
		return h.modifyCombinedLayers(ctx, mr.RequestType, s)
	case *prot.LCOWNetworkAdapter:
		return h.modifyNetwork(ctx, mr.RequestType, s)
	case *prot.LCOWConfidentialOptions:
		return h.setSecurityPolicy(ctx, s)
	case *prot.LCOWSecurityPolicyFragment:
		return h.loadPolicyFragment(ctx, mr.RequestType, s)
	case *prot.LCOWContainerConstraints:
		return prot.Errorf(prot.HrVmcomputeSystemNotFound, "container %q not found", prot.NullContainerID)
	case *prot.PodCgroupMemoryLimit:
		if mr.RequestType != prot.RequestTypeUpdate {
			return unsupportedRequest(mr)
		}
		if h.opts.Cgroups == nil {
			return prot.Errorf(prot.HrFail, "no cgroup manager")
		}
		if err := h.opts.Cgroups.RecomputePodsMemoryLimit(); err != nil {
			return prot.WithHResult(prot.HrFail, err)
		}
		return nil
	}
	return prot.Errorf(prot.HrFail, "ResourceType %q is not supported by the Linux GCS", mr.ResourceType)
}

func unsupportedRequest(mr *prot.ModificationRequest) error {
	return prot.Errorf(prot.HrFail, "the RequestType %q is not supported for %s", mr.RequestType, mr.ResourceType)
}

// modifyCombinedLayers mounts or unmounts a container's root file system;
// its layers, scratch and mount point must all be inside the roots
// devices are confined to.
func (h *Host) modifyCombinedLayers(ctx context.Context, rt prot.RequestType, s *prot.LCOWCombinedLayers) error {
	roots := h.opts.Devices.AllowedRoots
	switch rt {
	case prot.RequestTypeAdd:
		layers := make([]string, len(s.Layers))
		for i, l := range s.Layers {
			layers[i] = l.Path
		}
		err := h.mountAt(s.ContainerRootPath, func() error { return overlay.Mount(layers, s.ScratchPath, s.ContainerRootPath, roots) })
		if err == nil && h.hasSecurityPolicy() {
			h.overlayDirs.add(s.ContainerRootPath, append(layers, s.ScratchPath, s.ContainerRootPath))
		}
		return prot.WithHResult(prot.HrFail, err)
	case prot.RequestTypeRemove:
		if err := overlay.Unmount(ctx, s.ContainerRootPath, roots); err != nil {
			return prot.WithHResult(prot.HrFail, err)
		}
		h.overlayDirs.drop(s.ContainerRootPath)
		h.release(s.ContainerRootPath)
		return nil
	}
	return unsupportedRequest(&prot.ModificationRequest{RequestType: rt, ResourceType: prot.ResourceTypeCombinedLayers})
}

// updateConstraints applies new Linux resource limits to the container.
// It is not judged (as in the reference), so it may not change what the
// policy judged: see checkUpdateDevices.
func (c *Container) updateConstraints(ctx context.Context, cc *prot.LCOWContainerConstraints) error {
	if err := checkUnified(&cc.Linux); err != nil {
		return err
	}
	if err := c.checkUpdateDevices(&cc.Linux); err != nil {
		return err
	}
	if err := c.host.opts.Runtime.Update(ctx, c.id, &cc.Linux); err != nil {
		if errors.Is(err, runtime.ErrNotFound) {
			return prot.WithHResult(prot.HrVmcomputeSystemNotFound, err)
		}
		return prot.WithHResult(prot.HrFail, err)
	}
	return nil
}

// checkUpdateDevices refuses device cgroup rules in an update of a
// container judgedUnprivileged: its rules are the GCS's own, made for the
// devices the policy was shown (ownDeviceRules), and crun applies an
// update's rules (runc ignores them), so an allow rule would let the
// container open a node it made that no policy point ever judged.
func (c *Container) checkUpdateDevices(res *oci.LinuxResources) error {
	if len(res.Devices) == 0 || !c.judgedUnprivileged() {
		return nil
	}
	return prot.Errorf(prot.HrFail, "update of container %s: device cgroup rules are decided at creation under a security policy", c.id)
}

// overlayDirs records, per overlay mounted under a policy (by its
// target), the directories it was made from and on: its layers, its
// scratch ("" when it has none) and its mount point.
type overlayDirs struct {
	mu   sync.Mutex
	dirs map[string][]string
}

func (o *overlayDirs) add(target string, dirs []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dirs == nil {
		o.dirs = make(map[string][]string)
	}
	o.dirs[target] = dirs
}

func (o *overlayDirs) drop(target string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.dirs, target)
}

// user returns the target of an overlay made from, or on, a directory at
// or below dir ("" when there is none).
func (o *overlayDirs) user(dir string) string {
	dir = filepath.Clean(dir)
	o.mu.Lock()
	defer o.mu.Unlock()
	for target, dirs := range o.dirs {
		for _, d := range dirs {
			if d != "" && (filepath.Clean(d) == dir || mount.Below(filepath.Clean(d), dir)) {
				return target
			}
		}
	}
	return ""
}

// checkDiskNotInUse refuses, under a policy, the removal of a SCSI disk
// whose mount holds a layer, the scratch or the mount point of an overlay
// mounted under the policy, as the reference refuses it (its hostMounts
// for layers and scratch; an unmount that fails busy for a mount point
// below): the unmount would only detach the disk from under the overlay,
// and the policy would forget a device whose data is still in use. It is asked before the policy, so
// that a refusal neither settles a decision nor, as a failed unmount
// would, marks the VM inconsistent.
func (h *Host) checkDiskNotInUse(mr *prot.ModificationRequest) error {
	s, ok := mr.Settings.(*prot.LCOWMappedVirtualDisk)
	if !ok || mr.RequestType != prot.RequestTypeRemove || s.MountPath == "" || !h.hasSecurityPolicy() {
		return nil
	}
	if target := h.overlayDirs.user(s.MountPath); target != "" {
		return prot.Errorf(prot.HrFail, "unmount of SCSI disk at %s refused: still in use by the overlay at %s", s.MountPath, target)
	}
	return nil
}
