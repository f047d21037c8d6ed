package fragmenttest

import (
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/fragment"
)

// TestSignerChainValidity: the leaf's validity is the CA's, so the chain
// holds at the leaf's NotAfter (where did:x509 resolution checks it), and
// an envelope verifies.
func TestSignerChainValidity(t *testing.T) {
	for range 20 {
		s := NewSigner(t, "Test")
		if !s.Leaf.NotAfter.Equal(s.CA.NotAfter) || !s.Leaf.NotBefore.Equal(s.CA.NotBefore) {
			t.Fatalf("leaf valid %v..%v, CA %v..%v", s.Leaf.NotBefore, s.Leaf.NotAfter, s.CA.NotBefore, s.CA.NotAfter)
		}
		if _, err := fragment.Verify(s.Sign(t, Claims{Issuer: s.Issuer, Feed: "f"}, []byte("package p\n"))); err != nil {
			t.Fatal(err)
		}
	}
}
