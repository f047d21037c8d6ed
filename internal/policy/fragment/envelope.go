// Package fragment unpacks and checks the signed policy fragments a host
// injects into a confidential utility VM (COSE_Sign1 envelopes whose
// signer is named by a did:x509 issuer), offers them to the security
// policy and keeps the diagnostic record of each in the fragments
// directory, as hcsshim's guest does.
package fragment

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"strings"

	didx509 "github.com/Microsoft/didx509go/pkg/did-x509-resolver"
	"github.com/veraison/go-cose"
)

// MaxEnvelope bounds a decoded envelope. A fragment is a Rego file and a
// few certificates; the bridge bounds the request carrying it anyway.
const MaxEnvelope = 4 << 20

// maxChain bounds the certificates of an x5chain, as the reference does.
const maxChain = 100

// Envelope is a COSE_Sign1 document whose signature was checked against
// the leaf of its own certificate chain.
type Envelope struct {
	// Issuer is the did:x509 issuer of the protected header (the CWT
	// claims' iss, or a plain "iss" header).
	Issuer string
	// Feed is the CWT claims' sub, or a plain "feed" header.
	Feed string
	// SVN is the CWT claims' "svn", if there is one; CheckIssuer reads
	// it, once the issuer resolved (reference info never needs it).
	SVN *int64
	// ContentType is the protected content type, if a string.
	ContentType string
	// Payload is the signed content.
	Payload []byte
	// Chain is the x5chain, leaf first.
	Chain []*x509.Certificate

	// svn is the CWT claims' "svn" as decoded; hasSVN says it was there.
	svn    any
	hasSVN bool
}

// Unpack decodes a tagged COSE_Sign1 envelope, checks that its chain is a
// chain (each certificate signed by the next, up to the last, which is
// taken as the root) and that its signature verifies with the leaf's key,
// and reads the issuer and feed from the protected header. Whether the
// issuer names this chain, and the SVN, are CheckIssuer's business.
func Unpack(raw []byte) (*Envelope, error) {
	if len(raw) > MaxEnvelope {
		return nil, fmt.Errorf("COSE_Sign1 envelope is %d bytes, more than %d", len(raw), MaxEnvelope)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		return nil, fmt.Errorf("decode COSE_Sign1 envelope: %w", err)
	}
	protected := msg.Headers.Protected
	alg, err := protected.Algorithm()
	if err != nil {
		return nil, fmt.Errorf("COSE_Sign1 algorithm: %w", err)
	}
	chain, err := x5chain(protected)
	if err != nil {
		return nil, err
	}
	if len(chain) > 1 {
		if _, err := didx509.VerifyCertificateChain(chain, chain[len(chain)-1:], false); err != nil {
			return nil, fmt.Errorf("certificate chain verification failed: %w", err)
		}
	}
	verifier, err := cose.NewVerifier(alg, chain[0].PublicKey)
	if err != nil {
		return nil, fmt.Errorf("COSE_Sign1 verifier for algorithm %v: %w", alg, err)
	}
	if err := msg.Verify(nil, verifier); err != nil {
		return nil, fmt.Errorf("COSE_Sign1 signature: %w", err)
	}
	e := &Envelope{Payload: msg.Payload, Chain: chain}
	e.ContentType, _ = protected[cose.HeaderLabelContentType].(string)
	if err := e.readClaims(protected); err != nil {
		return nil, err
	}
	return e, nil
}

// x5chain reads the certificate chain: one DER certificate or a list of
// them, leaf first.
func x5chain(protected cose.ProtectedHeader) ([]*x509.Certificate, error) {
	value, ok := protected[cose.HeaderLabelX5Chain]
	if !ok {
		return nil, errors.New("COSE_Sign1 protected header has no x5chain")
	}
	var ders [][]byte
	switch v := value.(type) {
	case []byte:
		ders = [][]byte{v}
	case []any:
		for _, item := range v {
			der, ok := item.([]byte)
			if !ok {
				return nil, fmt.Errorf("x5chain holds a %T, not a certificate", item)
			}
			ders = append(ders, der)
		}
	default:
		return nil, fmt.Errorf("x5chain is a %T, not a certificate or a list of them", value)
	}
	if len(ders) < 1 || len(ders) > maxChain {
		return nil, fmt.Errorf("x5chain holds %d certificates, want 1 to %d", len(ders), maxChain)
	}
	chain := make([]*x509.Certificate, 0, len(ders))
	for i, der := range ders {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("x5chain certificate %d: %w", i, err)
		}
		chain = append(chain, cert)
	}
	return chain, nil
}

// readClaims takes issuer and feed from the CWT claims (label 15) when
// there are any, else from the "iss" and "feed" headers of older
// envelopes. The "svn" claim is kept as it came: the reference reads it
// only for fragments and trust lists whose issuer resolved, so it may not
// refuse the reference info that carries something else there.
func (e *Envelope) readClaims(protected cose.ProtectedHeader) error {
	raw, ok := protected[cose.HeaderLabelCWTClaims]
	if !ok {
		e.Issuer, _ = protected["iss"].(string)
		e.Feed, _ = protected["feed"].(string)
		return nil
	}
	claims, ok := raw.(map[any]any)
	if !ok {
		return fmt.Errorf("CWT claims header is a %T, not a map", raw)
	}
	e.Issuer, _ = claims[cose.CWTClaimIssuer].(string)
	e.Feed, _ = claims[cose.CWTClaimSubject].(string)
	e.svn, e.hasSVN = claims["svn"]
	return nil
}

// readSVN sets SVN from the "svn" claim, which must be an integer.
func (e *Envelope) readSVN() error {
	if !e.hasSVN {
		return nil
	}
	n, err := asInt64(e.svn)
	if err != nil {
		return fmt.Errorf("SVN in the CWT claims: %w", err)
	}
	e.SVN = &n
	return nil
}

func asInt64(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case uint64:
		if n > math.MaxInt64 {
			return 0, fmt.Errorf("%d overflows int64", n)
		}
		return int64(n), nil
	default:
		return 0, fmt.Errorf("a %T, not an integer", v)
	}
}

// ChainPEM is the chain as PEM blocks, leaf first.
func (e *Envelope) ChainPEM() string {
	var b strings.Builder
	for _, c := range e.Chain {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.String()
}

// Verify unpacks an envelope and checks its issuer (CheckIssuer).
func Verify(raw []byte) (*Envelope, error) {
	e, err := Unpack(raw)
	if err != nil {
		return nil, err
	}
	if err := e.CheckIssuer(); err != nil {
		return nil, err
	}
	return e, nil
}

// CheckIssuer checks that the envelope names an issuer and a feed and
// that the issuer, a did:x509, resolves against its chain (a CA of the
// chain has the issuer's fingerprint and the leaf meets its policies),
// then reads the SVN claim, which must be an integer if present.
func (e *Envelope) CheckIssuer() error {
	if e.Issuer == "" || e.Feed == "" {
		return errors.New("the COSE_Sign1 protected header must name both issuer and feed")
	}
	if _, err := didx509.Resolve(e.ChainPEM(), e.Issuer, true); err != nil {
		return fmt.Errorf("issuer %q does not match the envelope's certificate chain: %w", clip(e.Issuer), err)
	}
	return e.readSVN()
}

// clip shortens a string from an envelope for an error message.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
