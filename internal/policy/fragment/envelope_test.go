package fragment

import (
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
)

func TestVerifyGood(t *testing.T) {
	s := fragmenttest.NewSigner(t, "Contoso Fragments")
	tests := []struct {
		name string
		c    fragmenttest.Claims
	}{
		{"CWT claims with SVN", fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso/app", SVN: fragmenttest.SVN(3)}},
		{"CWT claims without SVN", fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso/app"}},
		{"iss and feed headers", fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso/app", Legacy: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Verify(s.Sign(t, tt.c, []byte("package frag\n")))
			if err != nil {
				t.Fatal(err)
			}
			if e.Issuer != s.Issuer || e.Feed != "contoso/app" || string(e.Payload) != "package frag\n" {
				t.Fatalf("got issuer %q feed %q payload %q", e.Issuer, e.Feed, e.Payload)
			}
			if (e.SVN == nil) != (tt.c.SVN == nil) || (e.SVN != nil && *e.SVN != *tt.c.SVN) {
				t.Fatalf("SVN %v, want %v", e.SVN, tt.c.SVN)
			}
			if e.ContentType != "application/unknown+rego" || len(e.Chain) != 2 {
				t.Fatalf("content type %q, chain of %d", e.ContentType, len(e.Chain))
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	s := fragmenttest.NewSigner(t, "Contoso Fragments")
	other := fragmenttest.NewSigner(t, "Contoso Fragments")
	good := fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso/app", SVN: fragmenttest.SVN(2)}
	payload := []byte("package frag\n")
	// A key that is not the leaf's signs with the leaf's chain.
	forger := *s
	forger.Key = fragmenttest.NewKey(t)
	// The leaf of one chain presented with another CA.
	mixed := *s
	mixed.CA = other.CA
	envelope := s.Sign(t, good, payload)
	tampered := []byte(strings.Replace(string(envelope), "package frag", "package evil", 1))
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"wrong signature", forger.Sign(t, good, payload), "COSE_Sign1 signature"},
		{"payload changed after signing", tampered, "COSE_Sign1 signature"},
		{"chain not signed by its root", mixed.Sign(t, good, payload), "certificate chain verification failed"},
		{"issuer of another CA", s.Sign(t, fragmenttest.Claims{Issuer: other.Issuer, Feed: "contoso/app"}, payload), "does not match the envelope's certificate chain"},
		{"issuer of another subject", s.Sign(t, fragmenttest.Claims{Issuer: strings.Replace(s.Issuer, "CN:Contoso", "CN:Fabrikam", 1), Feed: "contoso/app"}, payload), "does not match"},
		{"no issuer", s.Sign(t, fragmenttest.Claims{Feed: "contoso/app"}, payload), "must name both issuer and feed"},
		{"no feed", s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer}, payload), "must name both issuer and feed"},
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
