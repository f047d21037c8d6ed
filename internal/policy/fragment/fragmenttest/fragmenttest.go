// Package fragmenttest signs policy fragments for tests: a throwaway CA
// and leaf made per test, and the did:x509 issuer that names them.
package fragmenttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"testing"
	"time"

	"github.com/veraison/go-cose"
)

// Signer is a throwaway CA and leaf made for one test, and the did:x509
// issuer naming them (CA fingerprint, leaf subject CN). Replace Key to
// forge a signature, CA to break the chain.
type Signer struct {
	CA, Leaf *x509.Certificate
	Key      *ecdsa.PrivateKey
	Issuer   string
}

// NewSigner makes a CA and a leaf whose subject CN is cn.
func NewSigner(t testing.TB, cn string) *Signer {
	t.Helper()
	s, err := New(cn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// New makes a CA and a leaf whose subject CN is cn (for tools; tests use
// NewSigner).
func New(cn string) (*Signer, error) {
	// One validity for both: did:x509 resolution checks the chain at the
	// leaf's NotAfter, which must not pass the CA's (two time.Now calls
	// straddling a second made it so, now and then, on a slow machine).
	notBefore, notAfter := time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Fragment CA"},
		NotBefore: notBefore, NotAfter: notAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	ca, err := makeCert(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	leaf, err := makeCert(leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	return &Signer{CA: ca, Leaf: leaf, Key: key, Issuer: IssuerOf(ca, cn)}, nil
}

// IssuerOf is the did:x509 issuer naming a leaf of subject CN cn under ca.
func IssuerOf(ca *x509.Certificate, cn string) string {
	sum := sha256.Sum256(ca.Raw)
	return "did:x509:0:sha256:" + base64.RawURLEncoding.EncodeToString(sum[:]) + "::subject:CN:" + cn
}

// NewKey makes a P-256 key.
func NewKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func makeCert(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signKey *ecdsa.PrivateKey) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// Claims is what an envelope's protected header says.
type Claims struct {
	Issuer, Feed string
	SVN          *int64
	// Legacy puts issuer and feed in "iss"/"feed" headers, not CWT claims.
	Legacy bool
}

// Sign makes a COSE_Sign1 envelope of payload with the signer's key and
// chain (leaf, CA).
func (s *Signer) Sign(t testing.TB, c Claims, payload []byte) []byte {
	t.Helper()
	raw, err := s.Envelope(c, payload)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Envelope is Sign for tools.
func (s *Signer) Envelope(c Claims, payload []byte) ([]byte, error) {
	h := cose.Headers{Protected: cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm:   cose.AlgorithmES256,
		cose.HeaderLabelContentType: "application/unknown+rego",
		cose.HeaderLabelX5Chain:     []any{s.Leaf.Raw, s.CA.Raw},
	}}
	if c.Legacy {
		h.Protected["iss"], h.Protected["feed"] = c.Issuer, c.Feed
	} else {
		cwt := map[any]any{cose.CWTClaimIssuer: c.Issuer, cose.CWTClaimSubject: c.Feed}
		if c.SVN != nil {
			cwt["svn"] = *c.SVN
		}
		h.Protected[cose.HeaderLabelCWTClaims] = cwt
	}
	cs, err := cose.NewSigner(cose.AlgorithmES256, s.Key)
	if err != nil {
		return nil, err
	}
	return cose.Sign1(rand.Reader, cs, h, payload, nil)
}

// SVN returns a pointer to n.
func SVN(n int64) *int64 { return &n }
