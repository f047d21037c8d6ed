package policy

import (
	"context"
	"errors"
	"sync"
)

// OpenDoorPolicy enforces a non-empty open-door policy (see IsOpenDoor)
// without compiling it: each decision is the one the Rego enforcer takes
// under that policy. Those are OpenDoor's but for what the Rego enforcer
// checks around the policy's answer: a transparency trust list is refused
// (the policy names no ledger), create_container and exec_in_container
// refuse a Linux request without capabilities, and exec_in_container
// allows stdio only in a container whose create this enforcer allowed and
// saw committed.
type OpenDoorPolicy struct {
	OpenDoor

	linux bool

	mu sync.Mutex
	// created holds the containers whose create was committed; nothing
	// is ever removed, as in the Rego enforcer.
	created map[string]bool
}

var _ Enforcer = (*OpenDoorPolicy)(nil)

// noLedgersError is the Rego enforcer's refusal of a trust list whose
// ledgers the policy's answer does not name.
const noLedgersError = "transparency trust list carries no ledgers authorized by the policy"

// newOpenDoorPolicy returns the enforcer of the open-door policy for a
// guest of opts.OSType.
func newOpenDoorPolicy(opts Options) *OpenDoorPolicy {
	return &OpenDoorPolicy{linux: opts.OSType == "" || opts.OSType == "linux", created: map[string]bool{}}
}

// CreateContainer implements Enforcer: everything requested is kept, and
// once the decision is committed the container's execs may use stdio.
func (p *OpenDoorPolicy) CreateContainer(ctx context.Context, r CreateContainer) (*Decision, error) {
	if r.Capabilities == nil && p.linux {
		return nil, errors.New(capabilitiesNilError)
	}
	d, err := p.OpenDoor.CreateContainer(ctx, r)
	if err != nil {
		return nil, err
	}
	d.commit = func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.created[r.ContainerID] = true
	}
	// A rollback must drop the commit too (Rollback does nothing
	// without one).
	d.rollback = func(context.Context) error { return nil }
	return d, nil
}

// ExecInContainer implements Enforcer: everything requested is kept;
// stdio only in a container created under this policy.
func (p *OpenDoorPolicy) ExecInContainer(ctx context.Context, r ExecInContainer) (*Decision, error) {
	if r.Capabilities == nil && p.linux {
		return nil, errors.New(capabilitiesNilError)
	}
	d, err := p.OpenDoor.ExecInContainer(ctx, r)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	d.AllowStdioAccess = p.created[r.ContainerID]
	return d, nil
}

// LoadTransparencyTrustList implements Enforcer: refused, as the Rego
// enforcer refuses it under a policy whose answer names no ledger.
func (p *OpenDoorPolicy) LoadTransparencyTrustList(context.Context, LoadTransparencyTrustList) (*Decision, error) {
	return nil, errors.New(noLedgersError)
}
