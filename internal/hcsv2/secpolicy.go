package hcsv2

import (
	"context"
	"encoding/base64"
	"io"
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
	// compiled, when not nil, is closed once the policy is compiled and
	// what depends on it (logging) is set: enforcer() waits for it.
	compiled chan struct{}
}

// initialEnforcer is the stance before any policy: opts.InitialEnforcer,
// else the open door.
func initialEnforcer(opts Options) policy.Enforcer {
	if opts.InitialEnforcer != nil {
		return opts.InitialEnforcer
	}
	return policy.OpenDoor{}
}

// enforcer returns the enforcer in force now, once its policy is compiled
// (the compile ends: it is bounded by the policy's size).
func (h *Host) enforcer() policy.Enforcer {
	h.security.mu.Lock()
	e, compiled := h.security.enforcer, h.security.compiled
	h.security.mu.Unlock()
	if compiled != nil {
		<-compiled
	}
	return e
}

// installGCPercent is the collector's GOGC while a policy compiles.
const installGCPercent = 800

// hasSecurityPolicy reports whether the host set a non-empty policy: the
// confidential-mode checks apply from then on, whatever enforcer the
// policy got (the open-door policy gets the open door's decisions, not
// its absence of checks), as the reference decides it on the policy
// itself. The enforcer's type says nothing here: which policy text maps
// to which enforcer is the policy package's business.
func (h *Host) hasSecurityPolicy() bool {
	h.security.mu.Lock()
	defer h.security.mu.Unlock()
	return h.security.set && h.security.options.EncodedSecurityPolicy != ""
}

// setSecurityPolicy installs the policy of a SecurityPolicy request, once,
// whatever its RequestType (as the reference). The reply waits for what the
// policy alone can show (syntax, its own compile); the compile with the
// framework runs in the background, and decisions wait for it (see
// policy.Options.CompileInBackground).
func (h *Host) setSecurityPolicy(ctx context.Context, o *prot.LCOWConfidentialOptions) error {
	e, gcPercent, err := h.installPolicy(ctx, o)
	if err != nil {
		return err
	}
	compiling, ok := e.(readiness)
	if !ok {
		h.policyReady(ctx, e, gcPercent)
		return nil
	}
	// Until the compile is done the GCS does not log: runtime_logging is
	// not decided yet. A failed compile is logged where the logs went
	// before (nowhere under the closed door).
	before := h.log.Logger.Out
	if h.opts.LogOutput != nil {
		h.log.Logger.SetOutput(io.Discard)
	}
	go func() {
		ctx := context.WithoutCancel(ctx)
		if err := compiling.Ready(ctx); err != nil {
			if h.opts.LogOutput != nil {
				h.log.Logger.SetOutput(before)
			}
			h.log.WithError(err).Error("the security policy does not compile with the framework: every request it decides is denied")
		}
		h.policyReady(ctx, e, gcPercent)
		h.security.mu.Lock()
		close(h.security.compiled)
		h.security.compiled = nil
		h.security.mu.Unlock()
	}()
	return nil
}

// installPolicy sets the enforcer under the security lock: nothing is
// decided with a half-set policy, and a concurrent second request waits
// and then fails. It returns the collector's percentage to restore once
// the policy is compiled.
func (h *Host) installPolicy(ctx context.Context, o *prot.LCOWConfidentialOptions) (policy.Enforcer, int, error) {
	h.security.mu.Lock()
	defer h.security.mu.Unlock()
	if h.security.set {
		return nil, 0, prot.Errorf(prot.HrFail, "security policy has already been set")
	}
	h.ensureFragmentsDir()
	if h.opts.CheckPolicy != nil {
		if err := h.opts.CheckPolicy(ctx, o.EncodedSecurityPolicy); err != nil {
			return nil, 0, prot.WithHResult(prot.HrFail, err)
		}
	}
	rego, err := base64.StdEncoding.DecodeString(o.EncodedSecurityPolicy)
	if err != nil {
		return nil, 0, prot.Errorf(prot.HrFail, "decode the security policy from base64: %w", err)
	}
	// Compiling a policy allocates tens of MiB that are garbage a moment
	// later: with an idle daemon's small heap the collector would run
	// again and again meanwhile. The heap may grow for the install (the
	// daemon trims after it); the security lock keeps installs apart.
	gcPercent := debug.SetGCPercent(installGCPercent)
	opts := h.opts.PolicyOptions
	opts.CompileInBackground = true
	e, err := policy.Install(ctx, string(rego), opts)
	if err != nil {
		debug.SetGCPercent(gcPercent)
		return nil, 0, prot.Errorf(prot.HrFail, "installing the security policy: %w", err)
	}
	h.security.enforcer = e
	h.security.set = true
	h.security.options = *o
	if _, compiling := e.(readiness); compiling {
		h.security.compiled = make(chan struct{})
	}
	h.log.WithField("enforcer", enforcerKind(e)).Info("security policy set")
	return e, gcPercent, nil
}

// readiness is an enforcer that may still be compiling its policy.
type readiness interface {
	Ready(ctx context.Context) error
}

// policyReady finishes an install once e's policy is compiled: the
// collector back to gcPercent, the GCS's logging as the policy decides,
// and PolicyInstalled.
func (h *Host) policyReady(ctx context.Context, e policy.Enforcer, gcPercent int) {
	debug.SetGCPercent(gcPercent)
	h.applyRuntimeLogging(ctx, e, h.opts.LogOutput)
	if h.opts.PolicyInstalled != nil {
		h.opts.PolicyInstalled()
	}
}

// enforcerKind names an enforcer for the logs.
func enforcerKind(e policy.Enforcer) string {
	switch e.(type) {
	case policy.OpenDoor:
		return "open_door"
	case *policy.OpenDoorPolicy:
		return "open_door_policy"
	case policy.ClosedDoor:
		return "closed_door"
	}
	return "rego"
}
