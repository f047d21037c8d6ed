package hcsv2

import (
	"context"
	"encoding/base64"
	"runtime/debug"
	"sync"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
)

// securityPolicy is the Host's enforcer: the initial stance until the
// host's one SecurityPolicy request installs the policy it carries.
type securityPolicy struct {
	mu       sync.Mutex
	enforcer policy.Enforcer
	// set is true once a SecurityPolicy request succeeded; a second one
	// fails, as in the reference.
	set bool
	// options are the confidential options the policy came with (the
	// UVM reference info goes into containers' security context).
	options prot.LCOWConfidentialOptions
}

// initialEnforcer is the stance before any policy: opts.InitialEnforcer,
// else the open door.
func initialEnforcer(opts Options) policy.Enforcer {
	if opts.InitialEnforcer != nil {
		return opts.InitialEnforcer
	}
	return policy.OpenDoor{}
}

// enforcer returns the enforcer in force now.
func (h *Host) enforcer() policy.Enforcer {
	h.security.mu.Lock()
	defer h.security.mu.Unlock()
	return h.security.enforcer
}

// installGCPercent is the collector's GOGC while a policy compiles.
const installGCPercent = 800

// hasSecurityPolicy reports whether the host installed a real policy (not
// the open door): the confidential-mode checks apply from then on, as in
// the reference.
func (h *Host) hasSecurityPolicy() bool {
	h.security.mu.Lock()
	defer h.security.mu.Unlock()
	_, open := h.security.enforcer.(policy.OpenDoor)
	return h.security.set && !open
}

// setSecurityPolicy installs the policy of a SecurityPolicy request, once,
// whatever its RequestType (as the reference). Compiling happens under the
// lock: nothing is decided with a half-set policy, and a concurrent second
// request waits and then fails.
func (h *Host) setSecurityPolicy(ctx context.Context, o *prot.LCOWConfidentialOptions) error {
	h.security.mu.Lock()
	defer h.security.mu.Unlock()
	if h.security.set {
		return prot.Errorf(prot.HrFail, "security policy has already been set")
	}
	h.ensureFragmentsDir()
	if h.opts.CheckPolicy != nil {
		if err := h.opts.CheckPolicy(ctx, o.EncodedSecurityPolicy); err != nil {
			return prot.WithHResult(prot.HrFail, err)
		}
	}
	rego, err := base64.StdEncoding.DecodeString(o.EncodedSecurityPolicy)
	if err != nil {
		return prot.Errorf(prot.HrFail, "decode the security policy from base64: %w", err)
	}
	// Compiling a policy allocates tens of MiB that are garbage a moment
	// later: with an idle daemon's small heap the collector would run
	// again and again meanwhile. The heap may grow for the install (the
	// daemon trims after it); the security lock keeps installs apart.
	defer debug.SetGCPercent(debug.SetGCPercent(installGCPercent))
	e, err := policy.Install(ctx, string(rego), h.opts.PolicyOptions)
	if err != nil {
		return prot.Errorf(prot.HrFail, "installing the security policy: %w", err)
	}
	h.security.enforcer = e
	h.security.set = true
	h.security.options = *o
	h.log.WithField("enforcer", enforcerKind(e)).Info("security policy set")
	if h.opts.PolicyInstalled != nil {
		h.opts.PolicyInstalled()
	}
	return nil
}

// enforcerKind names an enforcer for the logs.
func enforcerKind(e policy.Enforcer) string {
	switch e.(type) {
	case policy.OpenDoor:
		return "open_door"
	case policy.ClosedDoor:
		return "closed_door"
	}
	return "rego"
}
