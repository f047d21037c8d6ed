package hcsv2

import (
	"fmt"
	"sync"

	"github.com/linux-gcs/gcs/internal/prot"
)

// A pod is a CRI sandbox container and the workload containers created in
// it. The sandbox registers the pod when it is created: its root (the
// directory holding the pod's /etc files, sandboxMounts, sandboxTmpfsMounts
// and hugepages: the sandbox's bundle, or a virtual pod's own directory)
// and its cgroup. A workload finds its sandbox only through this table,
// never through a path guessed from the sandbox id.

// pod is one registered pod.
type pod struct {
	id      string // the sandbox id (the virtual pod id for a virtual pod)
	sandbox *Container
	// root is the sandbox root: hostname, hosts, resolv.conf and the
	// special mount directories live there.
	root string
	// cgroup is the pod cgroup ("" without a cgroup manager).
	cgroup string
	// members are the containers in the pod, the sandbox included; the
	// pod cgroup goes when the last one does. Guarded by podTable.mu, as
	// closed and dropped are.
	members map[string]bool
	// closed is set when the sandbox's deletion begins: no workload may
	// join any more (reset if that deletion is refused).
	closed bool
	// dropped is set when the pod left the table, once.
	dropped bool
}

// podTable holds the pods by sandbox id.
type podTable struct {
	mu   sync.Mutex
	pods map[string]*pod
}

// register adds the pod of sandbox c, refusing a sandbox id that already
// has one.
func (t *podTable) register(p *pod) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pods == nil {
		t.pods = make(map[string]*pod)
	}
	if _, ok := t.pods[p.id]; ok {
		return prot.Errorf(prot.HrVmcomputeAlreadyExists, "pod %s already exists", p.id)
	}
	p.members = map[string]bool{p.sandbox.id: true}
	t.pods[p.id] = p
	return nil
}

// has reports whether a pod of id is registered, closed or not: its
// cgroup <parent>/pods/<id> lives until its last member goes.
func (t *podTable) has(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.pods[id]
	return ok
}

// A standalone container's cgroup is <parent>/pods/<id>, a pod's
// <parent>/pods/<sandbox id>: a virtual pod id (a sandbox id other than
// the sandbox's own) may name a container, and a standalone container's
// id a virtual pod. Each side first claims its name (reserve, register)
// and then looks for the other's claim, so that of two racing creates at
// least one sees the other and is refused, before either touches a
// cgroup.

// checkPodIDFree refuses (already exists) pod id of sandbox c when a
// container other than c has that id.
func (h *Host) checkPodIDFree(c *Container, id string) error {
	h.mu.Lock()
	o, ok := h.containers[id]
	h.mu.Unlock()
	if ok && o != c {
		return prot.Errorf(prot.HrVmcomputeAlreadyExists, "pod id %q of sandbox %q is the id of a container", id, c.id)
	}
	return nil
}

// checkStandaloneIDFree refuses (already exists) standalone container c
// when its id is a pod's.
func (h *Host) checkStandaloneIDFree(c *Container) error {
	if h.pods.has(c.id) {
		return prot.Errorf(prot.HrVmcomputeAlreadyExists, "container %q: a pod has that id", c.id)
	}
	return nil
}

// join adds workload id to pod sandboxID and returns the pod. A pod that
// does not exist, or whose sandbox is going, is refused.
func (t *podTable) join(sandboxID, id string) (*pod, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.pods[sandboxID]
	if !ok || p.closed {
		return nil, prot.Errorf(prot.HrFail, "pod %s does not exist for workload container %s", sandboxID, id)
	}
	if p.members[id] {
		return nil, prot.Errorf(prot.HrFail, "container %s already registered with pod %s", id, sandboxID)
	}
	p.members[id] = true
	return p, nil
}

// leave removes container id from pod p; the sandbox leaving closes the
// pod. It reports whether this call emptied the closed pod, in which case
// it was dropped from the table and its cgroup is the caller's to remove
// (later calls report false).
func (t *podTable) leave(p *pod, id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(p.members, id)
	if id == p.sandbox.id {
		p.closed = true
	}
	if !p.closed || len(p.members) > 0 || p.dropped {
		return false
	}
	p.dropped = true
	if t.pods[p.id] == p {
		delete(t.pods, p.id)
	}
	return true
}

// leavePod takes c out of its pod and, when the pod is empty and its
// sandbox gone, removes the pod cgroup.
func (c *Container) leavePod() error {
	p := c.pod
	if p == nil || !c.host.pods.leave(p, c.id) || p.cgroup == "" {
		return nil
	}
	if err := c.host.opts.Cgroups.Remove(p.cgroup); err != nil {
		return fmt.Errorf("remove pod cgroup: %w", err)
	}
	return nil
}

// closeForDeletion begins the deletion of sandbox c: it refuses (invalid
// state) a sandbox whose pod still has workloads, whose scratch (hcsoci
// layout), /etc files and sandbox mounts live in its root, which goes with
// it; otherwise it closes the pod in the same step, so that no workload
// joins it while its root is being removed. It returns what reopens the
// pod should the deletion be refused after all (the sandbox still runs).
func (c *Container) closeForDeletion() (reopen func(), err error) {
	if c.kind != kindSandbox || c.pod == nil {
		return func() {}, nil
	}
	t, p := &c.host.pods, c.pod
	t.mu.Lock()
	defer t.mu.Unlock()
	var others []string
	for id := range p.members {
		if id != p.sandbox.id {
			others = append(others, id)
		}
	}
	if len(others) > 0 {
		return nil, prot.Errorf(prot.HrVmcomputeInvalidState, "sandbox %s still has workload containers %v", c.id, others)
	}
	if p.closed {
		return func() {}, nil
	}
	p.closed = true
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if p.members[p.sandbox.id] {
			p.closed = false
		}
	}, nil
}
