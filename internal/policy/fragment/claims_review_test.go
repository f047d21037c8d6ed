package fragment

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/veraison/go-cose"
)

// signClaims signs payload with s's key and chain under the CWT claims
// given, whatever their types (fragmenttest.Claims only makes well-typed
// ones).
func signClaims(t *testing.T, s *fragmenttest.Signer, claims map[any]any, payload []byte) []byte {
	t.Helper()
	h := cose.Headers{Protected: cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm: cose.AlgorithmES256,
		cose.HeaderLabelX5Chain:   []any{s.Leaf.Raw, s.CA.Raw},
		cose.HeaderLabelCWTClaims: claims,
	}}
	signer, err := cose.NewSigner(cose.AlgorithmES256, s.Key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cose.Sign1(rand.Reader, signer, h, payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestReviewReferenceInfoIgnoresSVN: the reference reads the CWT "svn"
// claim only for fragments and trust lists, after their issuer resolved;
// TCB and platform reference info are kept whatever it holds.
func TestReviewReferenceInfoIgnoresSVN(t *testing.T) {
	ctx := context.Background()
	s := fragmenttest.NewSigner(t, "Test")
	tcb := signClaims(t, s, map[any]any{cose.CWTClaimIssuer: s.Issuer, cose.CWTClaimSubject: feed, "svn": "1.2"}, []byte("tcb"))
	in := NewInjector(t.TempDir(), quietLog())
	if err := in.Inject(ctx, policy.OpenDoor{}, MediaTypeTCBReferenceInfo, encode(tcb)); err != nil {
		t.Fatalf("TCB reference info with a string svn claim refused: %v", err)
	}
	if got, _ := in.ReferenceInfo(); string(got) != string(tcb) {
		t.Fatal("TCB reference info not kept")
	}
}

// TestReviewSVNCheckedAfterIssuer: a fragment whose issuer does not name
// its chain is refused for that, as the reference refuses it, before its
// SVN claim is read.
func TestReviewSVNCheckedAfterIssuer(t *testing.T) {
	ctx := context.Background()
	s, stranger := fragmenttest.NewSigner(t, "Test"), fragmenttest.NewSigner(t, "Test")
	raw := signClaims(t, stranger, map[any]any{cose.CWTClaimIssuer: s.Issuer, cose.CWTClaimSubject: feed, "svn": "2"}, []byte(fragmentRego("2")))
	in := NewInjector(t.TempDir(), quietLog())
	err := in.Inject(ctx, newPolicy(t, s.Issuer), MediaTypeFragment, encode(raw))
	if err == nil || !strings.Contains(err.Error(), "does not match the envelope's certificate chain") {
		t.Fatalf("got %v, want the issuer refused", err)
	}
	good := signClaims(t, s, map[any]any{cose.CWTClaimIssuer: s.Issuer, cose.CWTClaimSubject: feed, "svn": "2"}, []byte(fragmentRego("2")))
	if err := in.Inject(ctx, newPolicy(t, s.Issuer), MediaTypeFragment, encode(good)); err == nil || !strings.Contains(err.Error(), "SVN") {
		t.Fatalf("got %v, want the string SVN refused", err)
	}
}
