package hcsv2

import (
	"context"
	"path/filepath"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/network"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// virtualPodsDir is where, next to its sandbox's bundle, a virtual pod's
// root lives (<dir of bundle>/virtual-pods/<virtual pod id>).
const virtualPodsDir = "virtual-pods"

// virtualPodRoot is the root of the virtual pod a container of kind with
// id, pod sandboxID, bundle and spec would make: for the sandbox of a
// virtual pod (its pod id is not its own, or the virtual-pod-id annotation
// names one) <dir of bundle>/virtual-pods/<pod id>; "" for any other.
func virtualPodRoot(kind containerKind, id, sandboxID, bundle string, spec *oci.Spec) string {
	if kind != kindSandbox || (sandboxID == id && spec.Annotations[annotationVirtualPodID] == "") {
		return ""
	}
	return filepath.Join(filepath.Dir(bundle), virtualPodsDir, sandboxID)
}

// prepareKind does what a container's kind asks before its config.json is
// written: a standalone container gets its /etc files and its cgroup
// /pods/<id>; a sandbox registers its pod (root, cgroup /pods/<sandbox>
// with the sandbox's resources), writes the pod's /etc files and makes the
// special mount directories; a workload joins its sandbox's pod, network
// namespace and /etc files (its special mounts were resolved by
// shapeSpec in shaped's pod, which must be the one it joins). The init's
// user was resolved before the policy decided (enforceCreate). It returns
// the directory the /etc files are bound from.
func (c *Container) prepareKind(ctx context.Context, shaped *pod) (string, error) {
	cg := c.host.opts.Cgroups
	etcDir := c.bundle
	switch c.kind {
	case kindStandalone:
		if err := c.host.checkStandaloneIDFree(c); err != nil {
			return "", err
		}
		if err := c.writeEtc(c.bundle); err != nil {
			return "", err
		}
		if cg != nil {
			c.cgroupPath = cg.ContainerPath(c.id)
		}
	case kindSandbox:
		root, err := c.registerPod()
		if err != nil {
			return "", err
		}
		etcDir = root
		if err := c.writeEtc(root); err != nil {
			return "", err
		}
		if err := makePodDirs(root); err != nil {
			return "", prot.WithHResult(prot.HrFail, err)
		}
	case kindWorkload:
		p, err := c.host.pods.join(c.sandboxID, c.id)
		if err != nil {
			return "", err
		}
		c.pod = p
		if p != shaped {
			return "", prot.Errorf(prot.HrFail, "pod %s was replaced while workload container %s was created", c.sandboxID, c.id)
		}
		if c.spec.Hostname != "" {
			return "", prot.Errorf(prot.HrFail, "workload container must not change hostname: %s", c.spec.Hostname)
		}
		if cg != nil {
			c.cgroupPath = cg.PodContainerPath(c.sandboxID, c.id)
		}
		etcDir = p.root
		if err := c.joinSandboxNetwork(p.sandbox); err != nil {
			return "", err
		}
		if err := c.host.addAssignedDevices(ctx, c.spec); err != nil {
			return "", err
		}
	}
	return etcDir, nil
}

// writeEtc writes hostname, hosts and resolv.conf (from the DNS of the
// container's network namespace) into dir, through no symbolic link.
func (c *Container) writeEtc(dir string) error {
	if err := checkHostname(c.spec.Hostname); err != nil {
		return err
	}
	var resolvConf []byte
	if c.netNS != "" && c.host.opts.Network != nil {
		resolvConf = network.ResolvConf(c.host.opts.Network.DNS(c.netNS))
	}
	d, err := c.host.openStateDir(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := writeEtcFiles(d, c.spec.Hostname, resolvConf); err != nil {
		return prot.WithHResult(prot.HrFail, err)
	}
	return nil
}

// registerPod registers sandbox c's pod: its root (the bundle, or a
// virtual pod's own directory beside it, made through no symbolic link)
// and its cgroup with the sandbox's resources. The pod leaves the table
// when the sandbox goes (leavePod).
//
// Nothing is made before the pod id is claimed (registered, and not a
// container's): a failed create removes its podDir and its cgroup, which
// must not be those of the pod or container that already has the id.
func (c *Container) registerPod() (string, error) {
	root, base := c.bundle, ""
	virtual := c.virtualRoot != ""
	if virtual {
		dir, err := c.host.checkStatePath("virtual pod root", c.virtualRoot)
		if err != nil {
			return "", err
		}
		if base, err = mount.RootOf(dir, c.host.stateRoots()); err != nil {
			return "", prot.WithHResult(prot.HrInvalidArg, err)
		}
		root = dir
	}
	p := &pod{id: c.sandboxID, sandbox: c, root: root}
	if err := c.host.pods.register(p); err != nil {
		return "", err
	}
	c.pod = p
	if err := c.host.checkPodIDFree(c, c.sandboxID); err != nil {
		return "", err
	}
	if virtual {
		if err := mount.MkdirBelow(base, root, 0o755); err != nil {
			return "", prot.WithHResult(prot.HrFail, err)
		}
		c.podDir = root
	}
	if cg := c.host.opts.Cgroups; cg != nil {
		path, err := cg.CreatePod(c.sandboxID, c.spec.Linux.Resources)
		if err != nil {
			return "", prot.WithHResult(prot.HrFail, err)
		}
		p.cgroup = path
		c.cgroupPath = cg.PodContainerPath(c.sandboxID, c.id)
	}
	return root, nil
}

// devRoot is the directory attached disks' nodes are in (-dev-root).
func (h *Host) devRoot() string {
	if r := h.opts.Devices.PmemDevRoot; r != "" {
		return filepath.Clean(r)
	}
	return "/dev"
}

// removeEmptyPodDirs removes the directories a pod's containers leave
// empty: ROOT/pods/<pod>, where the controller layout puts a pod's
// bundles, once the last of them is gone, and the virtual-pods directory
// of a virtual pod's root. Only rmdir: never a directory that holds
// anything, never through a link.
func (c *Container) removeEmptyPodDirs() {
	var dirs []string
	if dir := filepath.Dir(c.bundle); filepath.Dir(dir) == filepath.Join(filepath.Clean(c.host.opts.Root), "pods") {
		dirs = append(dirs, dir)
	}
	if c.podDir != "" {
		dirs = append(dirs, filepath.Dir(c.podDir))
	}
	for _, dir := range dirs {
		if err := unix.Rmdir(dir); err != nil && err != unix.ENOTEMPTY && err != unix.EEXIST && err != unix.ENOENT {
			c.log.WithError(err).WithField("dir", dir).Debug("pod directory left in place")
		}
	}
}
