package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestConfidentialFlowCommands runs the README's confidential flow with
// gcsctl against gcs: the policy set with modify, a fragment of another
// issuer refused, the fragment sent with policy fragment, its container
// run with run (a confidential VM's id and scratch) and its security
// context listed from inside, then rm -f; and a second run with --rm.
func TestConfidentialFlowCommands(t *testing.T) {
	d := startDaemon(t, testutil.Runtimes(t)[0])
	const feed = "contoso/infra"
	const script = `cd "$UVM_SECURITY_CONTEXT_DIR" && pwd && ls && ls fragments.info`
	s := fragmenttest.NewSigner(t, "Test Fragments")
	req, err := json.Marshal(map[string]any{
		"ResourceType": "SecurityPolicy", "RequestType": "Add",
		"Settings": map[string]string{"EncodedSecurityPolicy": base64.StdEncoding.EncodeToString([]byte(fragmenttest.FeedPolicy(s.Issuer, feed, "1")))},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.mustCtl(t, exitOK, string(req), "modify", "-")

	rego := []byte(fragmenttest.GcsctlRunFragment("1", script))
	claims := fragmenttest.Claims{Issuer: s.Issuer, Feed: feed, SVN: fragmenttest.SVN(1)}
	dir := t.TempDir()
	good, other := filepath.Join(dir, "infra.cose"), filepath.Join(dir, "other.cose")
	stranger := fragmenttest.NewSigner(t, "Test Fragments")
	for path, raw := range map[string][]byte{
		good:  s.Sign(t, claims, rego),
		other: stranger.Sign(t, fragmenttest.Claims{Issuer: stranger.Issuer, Feed: feed, SVN: fragmenttest.SVN(1)}, rego),
	} {
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, stderr := d.mustCtl(t, exitFailed, "", "policy", "fragment", other); !strings.Contains(stderr, "invalid fragment issuer") {
		t.Fatalf("fragment of another issuer: %s", stderr)
	}
	d.mustCtl(t, exitOK, "", "policy", "fragment", good)

	id := testutil.ConfidentialID(t.Name())
	scratch := filepath.Join(d.root, "c", id, "scratch", id)
	out, _ := d.mustCtl(t, exitOK, "", "run", "--id", id, "--scratch", scratch, d.rootfs, "sh", "-c", script)
	lines := strings.Fields(out)
	// fragments.info: the README and both fragments' records.
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "/security-context-") ||
		lines[1] != "fragments.info" || lines[2] != "security-policy-base64" || !slices.Contains(lines[3:], "README") {
		t.Fatalf("the container saw %q", out)
	}
	// rm -f and run --rm unmount the layers before they delete the
	// container, the order a confidential GCS accepts; nothing is left.
	d.mustCtl(t, exitOK, "", "rm", "-f", id)
	id = testutil.ConfidentialID(t.Name() + "/--rm")
	scratch = filepath.Join(d.root, "c", id, "scratch", id)
	d.mustCtl(t, exitOK, "", "run", "--rm", "--id", id, "--scratch", scratch, d.rootfs, "sh", "-c", script)
	d.checkClean(t)
}
