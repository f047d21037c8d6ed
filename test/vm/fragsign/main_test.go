package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/fragment"
)

// TestIssuerAndSign: the issuer is made once and kept; a signed fragment
// verifies as the GCS verifies it, with that issuer and the feed and SVN
// asked for.
func TestIssuerAndSign(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	issuer := func() string {
		var out bytes.Buffer
		if err := run([]string{"-dir", dir, "issuer"}, &out); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	first := issuer()
	if !strings.HasPrefix(first, "did:x509:0:sha256:") || !strings.HasSuffix(first, "::subject:CN:Test Fragments") {
		t.Fatalf("issuer %q", first)
	}
	if again := issuer(); again != first {
		t.Fatalf("issuer changed: %q then %q", first, again)
	}
	var out bytes.Buffer
	if err := run([]string{"-svn", "3", "fragment", "echo hi"}, &out); err != nil {
		t.Fatal(err)
	}
	rego := filepath.Join(t.TempDir(), "f.rego")
	if err := os.WriteFile(rego, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{"-dir", dir, "-feed", "contoso/infra", "-svn", "3", "sign", rego}, &out); err != nil {
		t.Fatal(err)
	}
	signed := append([]byte(nil), out.Bytes()...)
	env, err := fragment.Verify(signed)
	if err != nil {
		t.Fatal(err)
	}
	if env.Issuer != first || env.Feed != "contoso/infra" || env.SVN == nil || *env.SVN != 3 ||
		!strings.HasPrefix(string(env.Payload), "package infra\n\nsvn := \"3\"") {
		t.Fatalf("envelope %+v", env)
	}
	// The policy names the issuer and the feed; it takes the fragment.
	out.Reset()
	if err := run([]string{"-dir", dir, "-feed", "contoso/infra", "-svn", "2", "policy"}, &out); err != nil {
		t.Fatal(err)
	}
	p, err := policy.NewRego(t.Context(), out.String(), policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fragment.NewInjector(t.TempDir(), logrus.New()).Inject(t.Context(), p, "", base64.StdEncoding.EncodeToString(signed)); err != nil {
		t.Fatalf("the policy refused the fragment: %v", err)
	}
	for _, args := range [][]string{{"-dir", dir, "sign", rego}, {"-dir", dir, "-cn", "Other", "issuer"}, {"-dir", dir}} {
		if err := run(args, &out); err == nil {
			t.Errorf("fragsign %q succeeded", args)
		}
	}
}
