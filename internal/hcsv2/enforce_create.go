package hcsv2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
)

// enforceCreate asks create_container (and host_network for a container
// on the VM's network) about the spec as shapeSpec left it, before
// anything else is made for the container, and applies the answer to the
// spec: the environment and capabilities kept, and whether the host may
// see the container's stdio. The decisions are settled when Create ends
// (settleCreate). First the pid and ipc namespaces the policy is never
// shown are judged (checkNamespaces).
func (c *Container) enforceCreate(ctx context.Context, shaped shapedSpec) error {
	h := c.host
	p := c.spec.Process
	if err := c.checkNamespaces(shaped.pod); err != nil {
		return err
	}
	// Once, before the decision: the ids judged are the ids run, whatever
	// the host writes into the rootfs afterwards.
	if err := resolveInitUser(ctx, c.spec, c.rootfs); err != nil {
		return err
	}
	if err := checkIDs(p.User); err != nil { // as resolved from a name
		return err
	}
	usr, groups, umask, err := h.policyUser(ctx, c.rootfs, p.User, p.User.Username != "")
	if err != nil {
		return err
	}
	seccomp, err := seccompHash(c.spec.Linux.Seccomp)
	if err != nil {
		return err
	}
	sandboxID := c.sandboxID
	if sandboxID == "" {
		sandboxID = c.id
	}
	root := c.podRootForPolicy(sandboxID, shaped.pod)
	d, err := h.decide("container creation", func(e policy.Enforcer) (*policy.Decision, error) {
		return e.CreateContainer(ctx, policy.CreateContainer{
			SandboxID: sandboxID, ContainerID: c.id,
			Args: p.Args, Env: p.Env, WorkingDir: p.Cwd,
			Mounts: policyMounts(c.spec.Mounts, root), Devices: shaped.hostDevices,
			Privileged:      annotationBool(c.spec, annotationPrivileged),
			NoNewPrivileges: p.NoNewPrivileges,
			User:            usr, Groups: groups, Umask: umask,
			Capabilities:         p.Capabilities,
			SeccompProfileSHA256: seccomp,
			IsSandbox:            c.kind == kindSandbox,
			SandboxDir:           filepath.Join(root, sandboxMountsDir),
			HugePagesDir:         filepath.Join(root, hugePagesDir),
		})
	})
	if err != nil {
		return err
	}
	c.decisions = append(c.decisions, d)
	p.Env = d.Env
	if d.Capabilities != nil {
		p.Capabilities = d.Capabilities
	}
	c.noStdio = !d.AllowStdioAccess
	if c.onHostNetwork(shaped.pod) {
		// One transaction with create_container: kept or undone with it.
		hd, err := h.decide("host network", func(e policy.Enforcer) (*policy.Decision, error) { return e.HostNetwork(policy.Join(ctx, d)) })
		if err != nil {
			return err
		}
		c.decisions = append(c.decisions, hd)
	}
	return nil
}

// podRootForPolicy is the directory the pod's sandbox:// and hugepages://
// mounts live below: the sandbox's bundle (a virtual pod's own root), the
// root of a workload's pod p, the state root's directory of a standalone
// container.
func (c *Container) podRootForPolicy(sandboxID string, p *pod) string {
	switch c.kind {
	case kindSandbox:
		if c.spec.Annotations[annotationVirtualPodID] != "" {
			return filepath.Join(filepath.Dir(c.bundle), virtualPodsDir, sandboxID)
		}
		return c.bundle
	case kindWorkload:
		if p != nil {
			return p.root
		}
	}
	return filepath.Join(c.host.containerRoot(), sandboxID)
}

// policyMounts are the spec's mounts as the policy judges them. A
// workload's were resolved by shapeSpec, as the runtime gets them; for a
// sandbox or standalone container the sources of sandbox://,
// sandbox-tmp:// and hugepages:// mounts are turned into the paths they
// name in the pod's root.
func policyMounts(mounts []oci.Mount, podRoot string) []oci.Mount {
	out := slices.Clone(mounts)
	for i := range out {
		m := &out[i]
		for prefix, dir := range map[string]string{
			sandboxTmpMountPrefix: sandboxTmpfsDir, sandboxMountPrefix: sandboxMountsDir, hugePagesMountPrefix: hugePagesDir,
		} {
			if strings.HasPrefix(m.Source, prefix) {
				m.Source = filepath.Join(podRoot, dir, strings.TrimPrefix(m.Source, prefix))
				break
			}
		}
	}
	return out
}

// onHostNetwork reports whether the container shares the utility VM's
// network, which host_network then decides: a sandbox or standalone
// container with the annotation, or without a network namespace of its
// own (ownNetworkNamespace), which the reference does not ask about; a
// workload without a network namespace entry (joinSandboxNetwork gives
// an entry its sandbox's namespace), or in the pod p of a sandbox on the
// VM's network (looked up by shapeSpec, as c.pod is set only when it
// joins), whatever its own annotation says.
func (c *Container) onHostNetwork(p *pod) bool {
	if c.kind != kindWorkload {
		return annotationBool(c.spec, annotationHostNetwork) || !ownNetworkNamespace(c.spec)
	}
	if !hasNamespace(c.spec, oci.NetworkNamespace) {
		return true
	}
	return p != nil && p.sandbox != nil &&
		(annotationBool(p.sandbox.spec, annotationHostNetwork) || !ownNetworkNamespace(p.sandbox.spec))
}

// ownNetworkNamespace reports whether spec gives the container a new
// network namespace: not the one the runtime runs in (no entry) nor one
// named by path (the VM's /proc/1/ns/net as well as any other).
func ownNetworkNamespace(spec *oci.Spec) bool {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == oci.NetworkNamespace {
			return ns.Path == ""
		}
	}
	return false
}

// hasNamespace reports whether spec has an entry of type t.
func hasNamespace(spec *oci.Spec, t oci.LinuxNamespaceType) bool {
	return slices.ContainsFunc(spec.Linux.Namespaces, func(ns oci.LinuxNamespace) bool { return ns.Type == t })
}

// settleCreate commits Create's decisions when it succeeded and rolls
// them back when it failed.
func (c *Container) settleCreate(ctx context.Context, err error) {
	for i := len(c.decisions) - 1; i >= 0; i-- {
		c.host.settle(ctx, c.decisions[i], err)
	}
	c.decisions = nil
}

// seccompHash is the digest of the spec's seccomp profile that policies
// name: sha256 of its JSON encoding, "" for none.
func seccompHash(s *oci.LinuxSeccomp) (string, error) {
	if s == nil {
		return "", nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", prot.Errorf(prot.HrFail, "encode the seccomp profile: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// checkConfidentialCreate applies the confidential-mode rules to a Create
// once a policy is set, as the reference: a consistent VM, ids of 64 hex
// characters, the bundle, rootfs and scratch where the GCS puts them, and
// no OCI hooks.
func (h *Host) checkConfidentialCreate(id, sandboxID string, cfg *prot.VMHostedContainerSettingsV2) error {
	if !h.hasSecurityPolicy() {
		return nil
	}
	if err := h.checkConsistent(); err != nil {
		return err
	}
	if err := h.checkConfidentialID(id, "container"); err != nil {
		return err
	}
	if sandboxID != "" && sandboxID != id {
		if err := h.checkConfidentialID(sandboxID, "sandbox"); err != nil {
			return err
		}
	}
	if sandboxID == "" {
		sandboxID = id
	}
	spec := cfg.OCISpecification
	bundle := filepath.Join(h.containerRoot(), id)
	switch {
	case cfg.OCIBundlePath != bundle:
		return prot.Errorf(prot.HrFail, "OCIBundlePath %q must be %q in a confidential VM", cfg.OCIBundlePath, bundle)
	case spec.Root.Path != filepath.Join(bundle, "rootfs"):
		return prot.Errorf(prot.HrFail, "OCISpecification.Root.Path %q must be %q in a confidential VM", spec.Root.Path, filepath.Join(bundle, "rootfs"))
	case cfg.ScratchDirPath != filepath.Join(bundle, "scratch", id) &&
		cfg.ScratchDirPath != filepath.Join(h.containerRoot(), sandboxID, "scratch", id):
		return prot.Errorf(prot.HrFail, "ScratchDirPath %q must be %q or %q in a confidential VM", cfg.ScratchDirPath,
			filepath.Join(bundle, "scratch", id), filepath.Join(h.containerRoot(), sandboxID, "scratch", id))
	case spec.Hooks != nil:
		return prot.Errorf(prot.HrFail, "OCISpecification.Hooks must be absent in a confidential VM")
	}
	return nil
}

// containerRoot is where container bundles live (the reference's
// /run/gcs/c with the default state root).
func (h *Host) containerRoot() string { return filepath.Join(h.opts.Root, "c") }

// mountsRoot is where devices are mounted (the reference's /run/mounts
// with the default state root).
func (h *Host) mountsRoot() string {
	return filepath.Join(filepath.Dir(filepath.Clean(h.opts.Root)), "mounts")
}

// checkConfidentialDelete applies the reference's rules to the deletion
// of a container's state under a policy: a consistent VM, a container
// that is not running, and its root file system already unmounted by the
// host (which the policy then knows).
func (h *Host) checkConfidentialDelete(c *Container) error {
	if !h.hasSecurityPolicy() {
		return nil
	}
	if err := h.checkConsistent(); err != nil {
		return err
	}
	if c.isStarted() && c.init != nil && !c.init.hasExited() {
		return prot.Errorf(prot.HrFail, "deleting the state of running container %s denied", c.id)
	}
	if h.confMounts.hasOverlay(c.rootfs) {
		return prot.Errorf(prot.HrFail, "deleting the state of container %s denied: its root file system is still mounted", c.id)
	}
	return nil
}
