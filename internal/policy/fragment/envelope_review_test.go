package fragment

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/veraison/go-cose"
)

// sign1 wraps a protected header (CBOR bytes), an empty unprotected map,
// a payload and a signature into a tagged COSE_Sign1, by hand, so that
// hostile encodings reach the decoder as they are.
func sign1(protected []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xd2, 0x84})
	b.Write(cborBytes(protected))
	b.WriteByte(0xa0)
	b.Write(cborBytes([]byte("package p\n")))
	b.Write(cborBytes(make([]byte, 64)))
	return b.Bytes()
}

// cborBytes encodes a byte string head (up to 64 KiB) and its content.
func cborBytes(p []byte) []byte {
	switch {
	case len(p) < 24:
		return append([]byte{0x40 | byte(len(p))}, p...)
	case len(p) < 256:
		return append([]byte{0x58, byte(len(p))}, p...)
	default:
		return append([]byte{0x59, byte(len(p) >> 8), byte(len(p))}, p...)
	}
}

// TestReviewHostileCBOR: hostile encodings are refused quickly, with no
// allocation driven by a declared length.
func TestReviewHostileCBOR(t *testing.T) {
	deep := append(bytes.Repeat([]byte{0x81}, 5000), 0x00)
	cases := map[string][]byte{
		"untagged":               sign1([]byte{0xa1, 0x01, 0x26})[1:],
		"huge byte string":       {0xd2, 0x84, 0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"huge array":             {0xd2, 0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"negative length":        {0xd2, 0x84, 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"indefinite array":       append(append([]byte{0xd2, 0x9f}, sign1([]byte{0xa1, 0x01, 0x26})[2:]...), 0xff),
		"indefinite protected":   sign1([]byte{0xbf, 0x01, 0x26, 0xff}),
		"duplicate protected":    sign1([]byte{0xa2, 0x01, 0x26, 0x01, 0x26}),
		"deeply nested header":   sign1(append([]byte{0xa2, 0x01, 0x26, 0x18, 0x21}, deep...)),
		"tagged x5chain":         sign1([]byte{0xa2, 0x01, 0x26, 0x18, 0x21, 0xc2, 0x41, 0x00}),
		"empty x5chain":          sign1([]byte{0xa2, 0x01, 0x26, 0x18, 0x21, 0x80}),
		"no algorithm":           sign1([]byte{0xa1, 0x18, 0x21, 0x41, 0x00}),
		"x5chain not a cert":     sign1([]byte{0xa2, 0x01, 0x26, 0x18, 0x21, 0x41, 0x00}),
		"x5chain of 101":         sign1(append([]byte{0xa2, 0x01, 0x26, 0x18, 0x21, 0x98, 101}, bytes.Repeat([]byte{0x40}, 101)...)),
		"truncated":              sign1([]byte{0xa1, 0x01, 0x26})[:8],
		"trailing bytes":         append(sign1([]byte{0xa1, 0x01, 0x26}), 0x00),
		"protected not a map":    sign1([]byte{0x81, 0x01}),
		"protected string label": sign1([]byte{0xa1, 0x61, 0x78, 0xf6}),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			if _, err := Unpack(raw); err == nil {
				t.Fatal("accepted")
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

// TestReviewAlgorithmMismatch: the protected algorithm must fit the leaf's
// key; a signature made by another key than the leaf's is refused.
func TestReviewAlgorithmMismatch(t *testing.T) {
	s := fragmenttest.NewSigner(t, "Test")
	sign := func(alg cose.Algorithm, signer cose.Signer) []byte {
		h := cose.Headers{Protected: cose.ProtectedHeader{
			cose.HeaderLabelAlgorithm: alg,
			cose.HeaderLabelX5Chain:   []any{s.Leaf.Raw, s.CA.Raw},
			cose.HeaderLabelCWTClaims: map[any]any{cose.CWTClaimIssuer: s.Issuer, cose.CWTClaimSubject: feed},
		}}
		raw, err := cose.Sign1(rand.Reader, signer, h, []byte("package p\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ps256, err := cose.NewSigner(cose.AlgorithmPS256, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	other, err := cose.NewSigner(cose.AlgorithmES256, fragmenttest.NewKey(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		raw  []byte
		want string
	}{
		"PS256 over an EC leaf": {sign(cose.AlgorithmPS256, ps256), "invalid public key"},
		"another key":           {sign(cose.AlgorithmES256, other), "signature"},
	} {
		if _, err := Verify(c.raw); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
}
