package fragment

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

// signer is a throwaway CA and leaf made for one test, and the did:x509
// issuer naming them (CA fingerprint, leaf subject CN).
type signer struct {
	ca, leaf *x509.Certificate
	key      *ecdsa.PrivateKey
	issuer   string
}

func newSigner(t testing.TB, cn string) *signer {
	t.Helper()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Fragment CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	ca := makeCert(t, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	key := newKey(t)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	leaf := makeCert(t, leafTmpl, ca, &key.PublicKey, caKey)
	sum := sha256.Sum256(ca.Raw)
	issuer := "did:x509:0:sha256:" + base64.RawURLEncoding.EncodeToString(sum[:]) + "::subject:CN:" + cn
	return &signer{ca: ca, leaf: leaf, key: key, issuer: issuer}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func makeCert(t testing.TB, tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signKey *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// claims is what an envelope's protected header says.
type claims struct {
	issuer, feed string
	svn          *int64
	// legacy puts issuer and feed in "iss"/"feed" headers, not CWT claims.
	legacy bool
}

// sign makes a COSE_Sign1 envelope of payload with the signer's key and
// chain.
func (s *signer) sign(t testing.TB, c claims, payload []byte) []byte {
	t.Helper()
	h := cose.Headers{Protected: cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm:   cose.AlgorithmES256,
		cose.HeaderLabelContentType: "application/unknown+rego",
		cose.HeaderLabelX5Chain:     []any{s.leaf.Raw, s.ca.Raw},
	}}
	if c.legacy {
		h.Protected["iss"], h.Protected["feed"] = c.issuer, c.feed
	} else {
		cwt := map[any]any{cose.CWTClaimIssuer: c.issuer, cose.CWTClaimSubject: c.feed}
		if c.svn != nil {
			cwt["svn"] = *c.svn
		}
		h.Protected[cose.HeaderLabelCWTClaims] = cwt
	}
	cs, err := cose.NewSigner(cose.AlgorithmES256, s.key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cose.Sign1(rand.Reader, cs, h, payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func svn(n int64) *int64 { return &n }
