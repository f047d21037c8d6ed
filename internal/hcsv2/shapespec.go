package hcsv2

import (
	"slices"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
)

// shapedSpec is what shapeSpec settles besides the spec itself.
type shapedSpec struct {
	// hostDevices are the devices the host named, which the policy is
	// shown as in the reference: those shapeSpec completes, or adds for a
	// privileged container, the privileged flag already stands for.
	hostDevices []oci.LinuxDevice
	// pod is a workload's pod, its mounts resolved in its root (nil for
	// the other kinds).
	pod *pod
	// sources are the directories of the pod's root the workload's
	// special mounts name, made once the policy allowed the container.
	sources []mountSource
}

// shapeSpec makes the changes to the host's spec that come before the
// policy decides, so that the policy judges what the runtime gets, as the
// reference (setupWorkloadContainerSpec before
// EnforceCreateContainerPolicy): a workload's special mount sources and
// destinations resolved in its pod's root (rewriteMounts; the directories
// they name are made after the decision, makeMountSources) and its
// annotations applied (annotateSpec). Under a judging policy a container
// that is not privileged gets the GCS's own device cgroup rules
// (ownDeviceRules) and at least the default masked and read-only paths
// (ensureDefaultPaths), both of which the reference leaves to the host.
func (c *Container) shapeSpec() (shapedSpec, error) {
	s := shapedSpec{hostDevices: slices.Clone(c.spec.Linux.Devices)}
	if c.judgedUnprivileged() {
		c.ownDeviceRules()
		ensureDefaultPaths(c.spec.Linux)
	}
	if c.kind == kindWorkload {
		p, err := c.host.pods.lookup(c.sandboxID, c.id)
		if err != nil {
			return s, err
		}
		sources, err := rewriteMounts(c.spec, p.root, c.host.devRoot(), c.host.opts.Devices.AllowedRoots)
		if err != nil {
			return s, err
		}
		s.pod, s.sources = p, sources
	}
	return s, annotateSpec(c.kind, c.spec)
}

// judgedUnprivileged reports whether a security policy that judges
// containers is in force (not the open door, under which the host is
// trusted with what it sends) and the container is one the policy is
// told is not privileged: the spec's fields the policy never sees must
// then not give it what a privileged container gets.
func (c *Container) judgedUnprivileged() bool {
	if !c.host.hasSecurityPolicy() || annotationBool(c.spec, annotationPrivileged) {
		return false
	}
	switch c.host.enforcer().(type) {
	case policy.OpenDoor, *policy.OpenDoorPolicy:
		return false // a policy that allows everything trusts the host
	}
	return true
}

// ownDeviceRules drops the device cgroup rules the host sent for a
// container judgedUnprivileged: the policy sees the devices and the
// privileged flag, never these rules, so a rule of the host's would grant
// a node (made with CAP_MKNOD) that the policy never allowed. What the
// container may open is then what the GCS allows for the devices the
// policy was shown (shapeSpec and later steps add those rules) and the
// runtime's defaults. A privileged container keeps the host's rules: the
// policy allowed it all devices; so does every container under the
// open-door policy, which allows all.
func (c *Container) ownDeviceRules() {
	ensureResources(c.spec).Devices = []oci.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}
}

// defaultMaskedPaths are the paths containerd masks in a container that
// is not privileged (its default spec, which CRI keeps): kernel memory,
// keys, timers and firmware a container has no business reading.
func defaultMaskedPaths() []string {
	return []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
		"/sys/devices/virtual/powercap", "/proc/scsi"}
}

// defaultReadonlyPaths are the paths containerd makes read-only in a
// container that is not privileged: /proc/sys above all, whose
// core_pattern would otherwise let a root container run a program of its
// choosing in the utility VM, outside every container.
func defaultReadonlyPaths() []string {
	return []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
}

// ensureDefaultPaths adds to the spec's masked and read-only paths the
// defaults it lacks. The policy is shown neither list, so a host that
// left them out would hand an unprivileged container the VM's kernel
// settings; what the host listed besides stays.
func ensureDefaultPaths(l *oci.Linux) {
	l.MaskedPaths = addMissing(l.MaskedPaths, defaultMaskedPaths())
	l.ReadonlyPaths = addMissing(l.ReadonlyPaths, defaultReadonlyPaths())
}

// addMissing appends to list the entries of want it does not hold.
func addMissing(list, want []string) []string {
	for _, p := range want {
		if !slices.Contains(list, p) {
			list = append(list, p)
		}
	}
	return list
}

// annotateSpec makes the changes the reference derives from the
// annotations of a container of that kind: for a workload the /dev/shm
// size, the core rlimit and the devices (applyAnnotations); for a sandbox
// the core rlimit alone. A standalone container's spec keeps what the
// host sent, as in the reference.
func annotateSpec(kind containerKind, spec *oci.Spec) error {
	switch kind {
	case kindWorkload:
		return applyAnnotations(spec, "/dev")
	case kindSandbox:
		if v := spec.Annotations[annotationRlimitCore]; v != "" {
			return addCoreRlimit(spec, v)
		}
	}
	return nil
}

// lookup returns pod sandboxID for workload id to join, refusing one that
// does not exist or whose sandbox is going, as join does.
func (t *podTable) lookup(sandboxID, id string) (*pod, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.pods[sandboxID]
	if !ok || p.closed {
		return nil, prot.Errorf(prot.HrFail, "pod %s does not exist for workload container %s", sandboxID, id)
	}
	return p, nil
}
