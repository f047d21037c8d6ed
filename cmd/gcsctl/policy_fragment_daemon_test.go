package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestPolicyFragmentDaemon sets a policy with a fragment feed through
// "gcsctl modify", then sends fragments signed here with "gcsctl policy
// fragment": a forged one fails (exit 1, the GCS's reason on stderr), the
// good one is loaded, and the GCS keeps serving.
func TestPolicyFragmentDaemon(t *testing.T) {
	d := startDaemon(t, testutil.Runtimes(t)[0])
	s := fragmenttest.NewSigner(t, "Contoso Infra")
	const feed = "contoso.azurecr.io/infra"
	policyText := `package policy

api_version := "0.12.0"
framework_version := "0.5.0"

fragments := [{"issuer": "` + s.Issuer + `", "feed": "` + feed + `", "minimum_svn": "1", "includes": ["namespace"]}]

load_fragment := data.framework.load_fragment
reason := data.framework.reason
`
	req, err := json.Marshal(&prot.ModificationRequest{
		ResourceType: prot.ResourceTypeSecurityPolicy, RequestType: prot.RequestTypeAdd,
		Settings: &prot.LCOWConfidentialOptions{EncodedSecurityPolicy: base64.StdEncoding.EncodeToString([]byte(policyText))},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.mustCtl(t, exitOK, string(req), "modify", "-")

	claims := fragmenttest.Claims{Issuer: s.Issuer, Feed: feed, SVN: fragmenttest.SVN(1)}
	payload := []byte("package infra\n\nsvn := \"1\"\nframework_version := \"0.5.0\"\n")
	forger := *s
	forger.Key = fragmenttest.NewKey(t)
	dir := t.TempDir()
	forged, good := filepath.Join(dir, "forged.cose"), filepath.Join(dir, "good.cose")
	if err := os.WriteFile(forged, forger.Sign(t, claims, payload), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, s.Sign(t, claims, payload), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr := d.mustCtl(t, exitFailed, "", "policy", "fragment", forged)
	if !strings.Contains(stderr, "0x80004005") || !strings.Contains(stderr, "COSE_Sign1 signature") {
		t.Fatalf("forged fragment: stderr %q", stderr)
	}
	d.mustCtl(t, exitOK, "", "policy", "fragment", good)
	// Fragments of a feed already loaded load again; the GCS still serves.
	d.mustCtl(t, exitOK, "", "policy", "fragment", good)
	d.mustCtl(t, exitOK, "", "negotiate")
}
