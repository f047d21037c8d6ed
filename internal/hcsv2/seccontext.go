package hcsv2

import (
	"path/filepath"

	"github.com/linux-gcs/gcs/internal/policy/fragment"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/securitycontext"
)

// securityContents is what the guest knows of its security context now:
// the policy and UVM reference info the SecurityPolicy request brought
// (nothing before it) and the last injected TCB and platform reference
// info.
func (h *Host) securityContents() securitycontext.Contents {
	h.security.mu.Lock()
	o := h.security.options
	h.security.mu.Unlock()
	tcb, platform := h.fragments.ReferenceInfo()
	return securitycontext.Contents{
		EncodedPolicy:             o.EncodedSecurityPolicy,
		UVMReferenceInfo:          o.EncodedUVMReference,
		HashEnvelopeReferenceInfo: o.EncodedUVMHashEnvelopeReference,
		TCBReferenceInfo:          tcb,
		PlatformReferenceInfo:     platform,
	}
}

// addSecurityContext gives container c what it needs to check where it
// runs, after policy enforcement so that the policy need not allow it (as
// in the reference): unless its annotation turns it off, the security
// context directory in its rootfs (when there is anything to put in it),
// with UVM_SECURITY_CONTEXT_DIR and the fragments directory bound
// read-only inside; and, for a workload container under a security
// policy that is not privileged, the SEV guest device (when the VM has
// one: its absence is only logged, as in the reference).
func (c *Container) addSecurityContext() error {
	h := c.host
	if contents := h.securityContents(); securitycontext.Enabled(c.spec.Annotations) && contents.Any(c.spec.Annotations) {
		if _, err := securitycontext.Write(c.rootfs, c.spec, contents, c.fragmentsSource()); err != nil {
			return prot.Errorf(prot.HrFail, "write the security context: %w", err)
		}
	}
	if c.kind == kindWorkload && h.hasSecurityPolicy() && !annotationBool(c.spec, annotationPrivileged) {
		// AddSEVDevice looks for /dev/sev* below a root: the one above -dev-root.
		if err := securitycontext.AddSEVDevice(c.spec, filepath.Dir(h.devRoot())); err != nil {
			c.log.WithError(err).Debug("no SEV device for the container")
		}
	}
	return nil
}

// fragmentsSource is the fragments directory to bind as fragments.info,
// made if need be (it is made when the policy is set); "" when it cannot
// be: the container then goes without, as in the reference.
func (c *Container) fragmentsSource() string {
	dir := c.host.fragmentsDir()
	if err := fragment.EnsureDir(dir); err != nil {
		c.log.WithError(err).WithField("path", dir).Warn("no fragments.info in the security context")
		return ""
	}
	return dir
}
