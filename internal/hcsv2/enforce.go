package hcsv2

import (
	"context"
	"fmt"
	"regexp"
	"sync"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
)

// maxDenialLength bounds the decision a denial carries, so that with what
// was refused before it the reply fits the bridge's bound on error text
// (4 KiB) whole: a host can only decode a decision it gets entirely.
const maxDenialLength = 3 * 1024

// decide asks the enforcer in force one question. A refusal (or a policy
// that fails to evaluate) is the reply the reference gives: E_FAIL, "<what>
// denied by policy: " and the policy's decision text.
func (h *Host) decide(what string, ask func(policy.Enforcer) (*policy.Decision, error)) (*policy.Decision, error) {
	d, err := ask(h.enforcer())
	if err != nil {
		return nil, prot.Errorf(prot.HrFail, "%s denied by policy: %w", what, err)
	}
	return d, nil
}

// settle keeps what d recorded when the operation succeeded (err nil) and
// undoes it when it failed, so the policy's metadata matches what really
// happened. It returns err.
func (h *Host) settle(ctx context.Context, d *policy.Decision, err error) error {
	if err == nil {
		d.Commit()
		return nil
	}
	if rbErr := d.Rollback(ctx); rbErr != nil {
		h.log.WithError(rbErr).WithField("rule", d.Rule).Error("roll back policy metadata")
	}
	return err
}

// enforced runs op after the policy allowed it and settles the decision
// with op's outcome.
func (h *Host) enforced(ctx context.Context, what string, ask func(policy.Enforcer) (*policy.Decision, error), op func() error) error {
	d, err := h.decide(what, ask)
	if err != nil {
		return err
	}
	return h.settle(ctx, d, op())
}

// confidentialIDPattern is the only container id shape a confidential VM
// accepts (besides the null container): ids become paths.
var confidentialIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-fA-F]{64}$`) })

// checkConfidentialID refuses, once a policy is set, an id that is not 64
// hexadecimal characters, as the reference does.
func (h *Host) checkConfidentialID(id, kind string) error {
	if !h.hasSecurityPolicy() || id == prot.NullContainerID || confidentialIDPattern().MatchString(id) {
		return nil
	}
	return prot.Errorf(prot.HrFail, "invalid %s id %q: a confidential VM wants 64 hexadecimal characters", kind, id)
}

// consistency is the permanent mark a failed unmount leaves on a
// confidential VM: the policy then believes something is unmounted that
// may still be there, and nothing may be mounted, unmounted, created or
// deleted any more (the reference's uvmConsistencyError).
type consistency struct {
	mu    sync.Mutex
	cause error
}

// markInconsistent records cause (the first one wins) when a policy is set;
// without one nothing depends on the policy's view and nothing is marked.
func (h *Host) markInconsistent(cause error) {
	if !h.hasSecurityPolicy() {
		return
	}
	h.consistent.mu.Lock()
	defer h.consistent.mu.Unlock()
	if h.consistent.cause == nil {
		h.consistent.cause = cause
		h.log.WithError(cause).Error("utility VM marked inconsistent: mounts, unmounts, creates and deletes are refused from now on")
	}
}

// checkConsistent refuses the operation on a confidential VM marked
// inconsistent.
func (h *Host) checkConsistent() error {
	if !h.hasSecurityPolicy() {
		return nil
	}
	h.consistent.mu.Lock()
	defer h.consistent.mu.Unlock()
	if h.consistent.cause == nil {
		return nil
	}
	return prot.Errorf(prot.HrFail, "mount, unmount, container creation and deletion are disabled in this utility VM after an earlier failure: %w", h.consistent.cause)
}

// unmountFailed marks the VM inconsistent after a failed unmount of what
// and returns the error.
func (h *Host) unmountFailed(what, target string, err error) error {
	if err != nil {
		h.markInconsistent(fmt.Errorf("unmount %s at %s: %w", what, target, err))
	}
	return err
}
