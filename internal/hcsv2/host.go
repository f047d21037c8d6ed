package hcsv2

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/cgroup"
	"github.com/linux-gcs/gcs/internal/network"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/fragment"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/runtime"
	"github.com/linux-gcs/gcs/internal/transport"
)

// Options are what a Host is built from.
type Options struct {
	// Root is the state directory; bundles default to Root/c/<id>.
	Root string
	// StateRoots are the directories Create accepts bundles and scratch
	// directories below (never Root/c itself nor the runtime's state);
	// empty means Root alone.
	StateRoots []string
	// Runtime runs containers.
	Runtime *runtime.Runtime
	// Reaper reaps every child; the Host's processes go through it.
	Reaper *reaper.Reaper
	// Cgroups is the cgroup layout containers are placed in.
	Cgroups *cgroup.Manager
	// Network places adapters in containers' network namespaces; nil
	// refuses Network requests.
	Network *network.Manager
	// Devices reaches attached disks, pmem, shares and PCI devices.
	Devices Devices
	// Relay dials the host's stdio relay ports.
	Relay transport.RelayDialer
	// Notify publishes a container notification to the host.
	Notify func(*prot.ContainerNotification) error
	// ShutdownVM is what Shutdown of the utility VM (the null container)
	// does; it is called after the containers were torn down.
	ShutdownVM func()
	// Spawn, if set, wraps the start of each utility-VM process the way
	// runtime.Runtime.Spawn wraps runtime invocations (the daemon has them
	// born outside its own cgroup).
	Spawn func(cmd *exec.Cmd, start func() (pid int, err error)) error
	// InitialEnforcer decides until the host sets a security policy
	// (-initial-policy-stance): nil is the open door, policy.ClosedDoor
	// refuses everything.
	InitialEnforcer policy.Enforcer
	// PolicyOptions configure the enforcer a SecurityPolicy installs.
	PolicyOptions policy.Options
	// PolicyInstalled, if set, is called after a SecurityPolicy request
	// installed its policy (the daemon then trims the memory compiling it
	// left behind).
	PolicyInstalled func()
	// CheckPolicy, if set, vets the base64 policy of a SecurityPolicy
	// request before it is installed (attestation: the SNP HOST_DATA must
	// be its digest).
	CheckPolicy func(ctx context.Context, encodedPolicy string) error
	// FragmentsDir is where injected policy fragments are recorded (made
	// when the policy is set, bound read-only into confidential
	// containers); empty means the reference's /tmp/fragments.
	FragmentsDir string
	// Log receives the Host's logs.
	Log *logrus.Entry
	// LogOutput is where Log's logger writes while the policy allows
	// runtime_logging (nothing is written while it does not); nil leaves
	// the logger alone.
	LogOutput io.Writer
}

// Host is the guest's state: containers by id and the utility VM's own
// processes by pid. Its lock only guards the tables; each container has its
// own lock and no lock is held across a runtime call.
type Host struct {
	opts Options
	log  *logrus.Entry

	mu         sync.Mutex
	containers map[string]*Container
	uvmProcs   map[uint32]*process

	// pods are the CRI pods by sandbox id (see pods.go).
	pods podTable

	// targets are the mount points device and layer Adds created.
	targets madeTargets

	// security is the security policy in force (see secpolicy.go).
	security securityPolicy
	// consistent is the mark a failed unmount leaves on a confidential
	// VM; serial orders requests once a policy is set; confMounts records
	// the devices and overlays mounted under a policy (see enforce*.go).
	consistent consistency
	serial     sync.Mutex
	confMounts confidentialMounts
	// overlayDirs are the layers and scratch of each overlay mounted
	// under a policy: a disk holding one is in use (checkDiskNotInUse).
	overlayDirs overlayDirs
	// fragments verifies and records injected policy fragments (see
	// fragments.go).
	fragments *fragment.Injector
}

// NewHost returns an empty Host.
func NewHost(opts Options) *Host {
	log := opts.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	if opts.PolicyOptions.MaxErrorLength == 0 {
		opts.PolicyOptions.MaxErrorLength = maxDenialLength
	}
	h := &Host{
		opts:       opts,
		log:        log,
		containers: make(map[string]*Container),
		uvmProcs:   make(map[uint32]*process),
		security:   securityPolicy{enforcer: initialEnforcer(opts)},
	}
	h.applyRuntimeLogging(context.Background(), h.enforcer(), opts.LogOutput)
	h.fragments = fragment.NewInjector(h.fragmentsDir(), log.WithField("component", "fragments"))
	return h
}

// bundleDir is where a container's bundle lives unless the host names one.
func (h *Host) bundleDir(id string) string { return filepath.Join(h.opts.Root, "c", id) }

// reserve registers id in the creating state, or fails if it is taken: by
// a container, or by one whose state is still being deleted (its id is
// only free once the deletion ended, see deleteState).
func (h *Host) reserve(c *Container) error {
	h.mu.Lock()
	o, taken := h.containers[c.id]
	if !taken {
		h.containers[c.id] = c
	}
	h.mu.Unlock()
	switch {
	case !taken:
		return nil
	case o.isDeleted():
		return prot.Errorf(prot.HrVmcomputeAlreadyExists, "container %q already exists: its state is still being deleted", c.id)
	}
	return prot.Errorf(prot.HrVmcomputeAlreadyExists, "container %q already exists", c.id)
}

// forget removes c from the table (only if it is still the registered one).
func (h *Host) forget(c *Container) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.containers[c.id] == c {
		delete(h.containers, c.id)
	}
}

// container returns the created container id. An unknown id is
// system-not-found, and so is one whose state is being deleted (what it
// is once the deletion ends); one still being created is E_FAIL, as in
// the reference.
func (h *Host) container(id string) (*Container, error) {
	c, err := h.createdContainer(id)
	if err != nil {
		return nil, err
	}
	if c.isDeleted() {
		return nil, prot.Errorf(prot.HrVmcomputeSystemNotFound, "container %q not found: its state is being deleted", id)
	}
	return c, nil
}

// createdContainer is container, one whose state is being deleted
// included: DeleteContainerState joins that deletion.
func (h *Host) createdContainer(id string) (*Container, error) {
	h.mu.Lock()
	c, ok := h.containers[id]
	h.mu.Unlock()
	if !ok {
		return nil, prot.Errorf(prot.HrVmcomputeSystemNotFound, "container %q not found", id)
	}
	if !c.isCreated() {
		return nil, prot.Errorf(prot.HrFail, "container %q is not in state \"created\": %w",
			id, prot.NewError(prot.HrVmcomputeInvalidState))
	}
	return c, nil
}

// containerProcess finds process pid of container id, as Signal, Resize and
// Wait look them up.
func (h *Host) containerProcess(id string, pid uint32) (*Container, *process, error) {
	c, err := h.container(id)
	if err != nil {
		return nil, nil, err
	}
	p, err := c.process(pid)
	if err != nil {
		return nil, nil, err
	}
	return c, p, nil
}

// allContainers returns a snapshot of the table.
func (h *Host) allContainers() []*Container {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Container, 0, len(h.containers))
	for _, c := range h.containers {
		out = append(out, c)
	}
	return out
}

// Close tears every container down (kill, delete, unmount what the GCS
// mounted for it) so that nothing is left behind when the daemon exits. A
// container whose state is being deleted is waited for.
func (h *Host) Close(ctx context.Context) error {
	var firstErr error
	for _, c := range h.allContainers() {
		if err := c.teardown(ctx); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("tear down container %s: %w", c.id, err)
		}
		h.forget(c)
	}
	h.mu.Lock()
	procs := make([]*process, 0, len(h.uvmProcs))
	for _, p := range h.uvmProcs {
		procs = append(procs, p)
	}
	h.mu.Unlock()
	for _, p := range procs {
		p.kill()
	}
	return firstErr
}
