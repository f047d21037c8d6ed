package test

import (
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestSecurityPolicyIsBase64 sets a Rego policy the way the host sends
// it, base64 in EncodedSecurityPolicy (the reference decodes it before
// compiling): it is installed. A policy that is not base64 is refused
// with E_FAIL, and a second SecurityPolicy fails as already set.
func TestSecurityPolicyIsBase64(t *testing.T) {
	h := newHostEnv(t, testutil.Runtimes(t)[0])
	bad := &prot.LCOWConfidentialOptions{EncodedSecurityPolicy: "package policy\n"}
	err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeSecurityPolicy, bad)
	if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "base64") {
		t.Fatalf("policy not in base64: %v", err)
	}
	if err := h.setConfPolicy(confPolicy("did:x509:0:sha256:AAAA::subject:CN:nobody"), ""); err != nil {
		t.Fatalf("set a base64 Rego policy: %v", err)
	}
	err = h.setConfPolicy(confPolicy("did:x509:0:sha256:AAAA::subject:CN:nobody"), "")
	if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "already been set") {
		t.Fatalf("second policy: %v", err)
	}
}
