package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestPolicyFragmentRefusals sends the daemon fragments signed here,
// after a policy with a fragment feed: each bad one is refused with E_FAIL
// and a message saying what failed, recorded as denied, and the GCS goes
// on serving; the good one is then loaded.
func TestPolicyFragmentRefusals(t *testing.T) {
	h := newHostEnv(t, testutil.Runtimes(t)[0])
	s := fragmenttest.NewSigner(t, "Contoso Infra")
	if err := h.setConfPolicy(confPolicy(s.Issuer), ""); err != nil {
		t.Fatalf("set policy: %v", err)
	}
	if _, err := os.Stat(filepath.Join(h.fragmentsDir(), "README")); err != nil {
		t.Fatalf("fragments directory not made when the policy was set: %v", err)
	}
	rego := confFragment("2", confFragmentSh)
	forger := *s
	forger.Key = fragmenttest.NewKey(t)
	stranger := fragmenttest.NewSigner(t, "Contoso Infra")
	good := signedFragment(t, s, 2, rego)
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"wrong signature", signedFragment(t, &forger, 2, rego), "COSE_Sign1 signature"},
		{"issuer not the chain's", stranger.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: confFeed, SVN: fragmenttest.SVN(2)}, []byte(rego)), "does not match"},
		{"issuer not in the policy", signedFragment(t, stranger, 2, rego), "invalid fragment issuer"},
		{"feed not in the policy", s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso.azurecr.io/other", SVN: fragmenttest.SVN(2)}, []byte(rego)), "invalid fragment feed"},
		// The reference's framework gives no reason for a header SVN
		// below the minimum (it is checked before the module is loaded),
		// one for the module's own SVN.
		{"header SVN below the minimum", signedFragment(t, s, 1, confFragment("1", confFragmentSh)), "security policy fragment refused by the policy: policyDecision<"},
		{"module SVN below the minimum", s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: confFeed}, []byte(confFragment("1", confFragmentSh))), "fragment svn is below the specified minimum"},
		{"payload not Rego", signedFragment(t, s, 2, "this is not { rego"), "valid package definition required"},
		{"payload with a package line, not Rego", signedFragment(t, s, 2, "package infra\n\ncontainers := [{\n"), "load security policy fragment"},
		{"truncated envelope", good[:len(good)-20], "COSE validation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.sendFragment(tt.raw)
			if err == nil {
				t.Fatal("fragment accepted")
			}
			if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "security policy fragment") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v (hresult %#x), want E_FAIL mentioning %q", err, uint32(client.HResult(err)), tt.want)
			}
			v := h.fragmentVerdicts(t, tt.raw)
			if len(v) != 1 || !strings.Contains(v[0], ".deny: ") {
				t.Fatalf("recorded verdicts %q, want one denial", v)
			}
			// The GCS still serves: a following request works.
			if _, err := h.c.DumpStacks(testCtx(t)); err != nil {
				t.Fatalf("GCS not serving after the refusal: %v", err)
			}
		})
	}
	if err := h.sendFragment(good); err != nil {
		t.Fatalf("good fragment: %v", err)
	}
	if v := h.fragmentVerdicts(t, good); len(v) != 1 || !strings.HasSuffix(v[0], ".succeed") {
		t.Fatalf("recorded verdicts %q, want one success", v)
	}
	if _, err := os.Stat(filepath.Join(h.fragmentsDir(), "README")); err != nil {
		t.Fatal(err)
	}
}

// TestFragmentBeforePolicyOpenDoor: without a policy the open door takes
// any fragment whose envelope holds (as the reference's) and records it.
func TestFragmentBeforePolicyOpenDoor(t *testing.T) {
	h := newHostEnv(t, testutil.Runtimes(t)[0])
	s := fragmenttest.NewSigner(t, "Contoso Infra")
	raw := signedFragment(t, s, 2, confFragment("2", confFragmentSh))
	if err := h.sendFragment(raw); err != nil {
		t.Fatalf("fragment under the open door: %v", err)
	}
	if v := h.fragmentVerdicts(t, raw); len(v) != 1 || !strings.HasSuffix(v[0], ".succeed") {
		t.Fatalf("recorded verdicts %q, want one success", v)
	}
	bad := raw[:len(raw)/2]
	if err := h.sendFragment(bad); client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "COSE validation") {
		t.Fatalf("truncated envelope under the open door: %v", err)
	}
}

// TestFragmentContainerAllowed: a container is refused until a fragment
// offering it is loaded; refused fragments (forged, wrong feed, SVN below
// the minimum) offering it load nothing, so it stays refused; after the
// good one it runs, and a container neither the policy nor the fragment
// offers is still refused. The create_container decision is wired into
// hcsv2 by issue 10: on a GCS that does not enforce it yet, this test
// skips.
func TestFragmentContainerAllowed(t *testing.T) {
	h := newHostEnv(t, testutil.Runtimes(t)[0])
	s := fragmenttest.NewSigner(t, "Contoso Infra")
	if err := h.setConfPolicy(confPolicy(s.Issuer), ""); err != nil {
		t.Fatal(err)
	}
	const script = "echo from-the-fragment"
	refused := func(what string) {
		t.Helper()
		_, err := h.runScript(t, h.confidentialID("app"), script, nil)
		if err == nil {
			t.Fatalf("%s: the container was created", what)
		}
		if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "denied by policy") {
			t.Fatalf("%s: %v, want a policy denial", what, err)
		}
	}
	if _, err := h.runScript(t, h.confidentialID("probe"), "echo not-in-any-policy", nil); err == nil {
		t.Skip("create_container is not enforced by this GCS yet (issue 10): a container no policy offers was created")
	}
	refused("before any fragment")
	rego := confFragment("2", script)
	forger := *s
	forger.Key = fragmenttest.NewKey(t)
	for name, raw := range map[string][]byte{
		"forged":                signedFragment(t, &forger, 2, rego),
		"wrong feed":            s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso.azurecr.io/other", SVN: fragmenttest.SVN(2)}, []byte(rego)),
		"SVN below the minimum": signedFragment(t, s, 1, confFragment("1", script)),
	} {
		if err := h.sendFragment(raw); err == nil {
			t.Fatalf("%s fragment accepted", name)
		}
		refused("after the " + name + " fragment")
	}
	if err := h.sendFragment(signedFragment(t, s, 2, rego)); err != nil {
		t.Fatal(err)
	}
	out, err := h.runScript(t, h.confidentialID("app"), script, nil)
	if err != nil {
		t.Fatalf("the fragment's container: %v", err)
	}
	if out != "from-the-fragment\n" {
		t.Fatalf("the fragment's container printed %q", out)
	}
	if _, err := h.runScript(t, h.confidentialID("other"), "echo not-in-any-policy", nil); client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "denied by policy") {
		t.Fatalf("a container no policy offers: %v, want a policy denial", err)
	}
}
