package fragment

import (
	"strings"
	"testing"
)

func TestVerifyGood(t *testing.T) {
	s := newSigner(t, "Contoso Fragments")
	tests := []struct {
		name string
		c    claims
	}{
		{"CWT claims with SVN", claims{issuer: s.issuer, feed: "contoso/app", svn: svn(3)}},
		{"CWT claims without SVN", claims{issuer: s.issuer, feed: "contoso/app"}},
		{"iss and feed headers", claims{issuer: s.issuer, feed: "contoso/app", legacy: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Verify(s.sign(t, tt.c, []byte("package frag\n")))
			if err != nil {
				t.Fatal(err)
			}
			if e.Issuer != s.issuer || e.Feed != "contoso/app" || string(e.Payload) != "package frag\n" {
				t.Fatalf("got issuer %q feed %q payload %q", e.Issuer, e.Feed, e.Payload)
			}
			if (e.SVN == nil) != (tt.c.svn == nil) || (e.SVN != nil && *e.SVN != *tt.c.svn) {
				t.Fatalf("SVN %v, want %v", e.SVN, tt.c.svn)
			}
			if e.ContentType != "application/unknown+rego" || len(e.Chain) != 2 {
				t.Fatalf("content type %q, chain of %d", e.ContentType, len(e.Chain))
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	s := newSigner(t, "Contoso Fragments")
	other := newSigner(t, "Contoso Fragments")
	good := claims{issuer: s.issuer, feed: "contoso/app", svn: svn(2)}
	payload := []byte("package frag\n")
	// A key that is not the leaf's signs with the leaf's chain.
	forger := *s
	forger.key = newKey(t)
	// The leaf of one chain presented with another CA.
	mixed := *s
	mixed.ca = other.ca
	envelope := s.sign(t, good, payload)
	tampered := []byte(strings.Replace(string(envelope), "package frag", "package evil", 1))
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"wrong signature", forger.sign(t, good, payload), "COSE_Sign1 signature"},
		{"payload changed after signing", tampered, "COSE_Sign1 signature"},
		{"chain not signed by its root", mixed.sign(t, good, payload), "certificate chain verification failed"},
		{"issuer of another CA", s.sign(t, claims{issuer: other.issuer, feed: "contoso/app"}, payload), "does not match the envelope's certificate chain"},
		{"issuer of another subject", s.sign(t, claims{issuer: strings.Replace(s.issuer, "CN:Contoso", "CN:Fabrikam", 1), feed: "contoso/app"}, payload), "does not match"},
		{"no issuer", s.sign(t, claims{feed: "contoso/app"}, payload), "must name both issuer and feed"},
		{"no feed", s.sign(t, claims{issuer: s.issuer}, payload), "must name both issuer and feed"},
		{"truncated", envelope[:len(envelope)-10], "decode COSE_Sign1 envelope"},
		{"empty", nil, "decode COSE_Sign1 envelope"},
		{"not CBOR", []byte("package frag\n"), "decode COSE_Sign1 envelope"},
		{"too large", make([]byte, MaxEnvelope+1), "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Verify(tt.raw)
			if err == nil {
				t.Fatalf("verified: issuer %q feed %q", e.Issuer, e.Feed)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to say %q", err, tt.want)
			}
		})
	}
}
