package hcsv2

import (
	"context"

	"github.com/linux-gcs/gcs/internal/policy/fragment"
	"github.com/linux-gcs/gcs/internal/prot"
)

// fragmentsDir is where injected fragments are recorded and from where
// confidential containers get them read-only (fragments.info):
// opts.FragmentsDir, else the reference's /tmp/fragments.
func (h *Host) fragmentsDir() string {
	if h.opts.FragmentsDir != "" {
		return h.opts.FragmentsDir
	}
	return fragment.DefaultDir
}

// ensureFragmentsDir makes the fragments directory and its README when
// the policy is set, so that containers can bind it before any fragment
// arrives. A failure is logged, not returned: the record is diagnostics,
// as in the reference.
func (h *Host) ensureFragmentsDir() {
	if err := fragment.EnsureDir(h.fragmentsDir()); err != nil {
		h.log.WithError(err).WithField("path", h.fragmentsDir()).Warn("prepare the fragments directory")
	}
}

// loadPolicyFragment handles SecurityPolicyFragment, whatever its
// RequestType (as the reference): the envelope is verified and offered to
// the enforcer in force; a refusal loads nothing and is E_FAIL with what
// failed.
func (h *Host) loadPolicyFragment(ctx context.Context, _ prot.RequestType, f *prot.LCOWSecurityPolicyFragment) error {
	if err := h.fragments.Inject(ctx, h.enforcer(), f.MediaType, f.Fragment); err != nil {
		return prot.Errorf(prot.HrFail, "security policy fragment: %w", err)
	}
	return nil
}
