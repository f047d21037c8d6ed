package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/fragment"
	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/linux-gcs/gcs/internal/prot"
)

// TestPolicyFragmentRequest checks the request "policy fragment" sends,
// against the fake peer (TestPolicyFragmentDaemon sends it to the GCS).
func TestPolicyFragmentRequest(t *testing.T) {
	s := fragmenttest.NewSigner(t, "Contoso Fragments")
	raw := s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso/app"}, []byte("package app\n"))
	encoded := base64.StdEncoding.EncodeToString(raw)
	dir := t.TempDir()
	rawFile, textFile := filepath.Join(dir, "f.cose"), filepath.Join(dir, "f.b64")
	if err := os.WriteFile(rawFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(textFile, []byte(encoded+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sent := func(mediaType string) any {
		return &prot.ModificationRequest{ResourceType: prot.ResourceTypePolicyFragment, RequestType: prot.RequestTypeAdd,
			Settings: &prot.LCOWSecurityPolicyFragment{Fragment: encoded, MediaType: mediaType}}
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  any
	}{
		{"raw file", []string{"policy", "fragment", rawFile}, "", sent(fragment.MediaTypeFragment)},
		{"base64 file", []string{"policy", "fragment", textFile}, "", sent(fragment.MediaTypeFragment)},
		{"stdin, media type", []string{"policy", "fragment", "-media-type", fragment.MediaTypeTCBReferenceInfo, "-"}, string(raw), sent(fragment.MediaTypeTCBReferenceInfo)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, addr := listenFake(t)
			a, _, stderr := newTestApp(nil, tt.stdin)
			if code := a.run(t.Context(), append([]string{"--addr", addr}, tt.args...)); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			reqs := f.requests()
			if len(reqs) != 2 {
				t.Fatalf("GCS saw %v, want NegotiateProtocol and one request", f.types())
			}
			got := decodeSent(t, reqs[1])
			if got.typ != prot.ComputeSystemModifySettingsV1 || got.container != prot.NullContainerID || !reflect.DeepEqual(got.body, tt.want) {
				t.Fatalf("sent %s for %q: %s", got.typ, got.container, reqs[1].body)
			}
		})
	}
}

func TestPolicyFragmentUsage(t *testing.T) {
	dir := t.TempDir()
	rego := filepath.Join(dir, "f.rego")
	if err := os.WriteFile(rego, []byte("package app\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"policy", "fragment"}, "wants FILE or -"},
		{"missing file", []string{"policy", "fragment", "/nonexistent/f.cose"}, "read the fragment"},
		{"Rego, not an envelope", []string{"policy", "fragment", rego}, "is not a COSE_Sign1 envelope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, nil, &stdout, &stderr); code == exitOK {
				t.Fatal("exit 0, want failure")
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("stderr %q, want %q", stderr.String(), tc.want)
			}
		})
	}
}

// TestPolicySimulateSignedFragment runs "policy simulate" with a
// load_fragment whose local_path is an envelope signed here, and one
// whose signature is forged.
func TestPolicySimulateSignedFragment(t *testing.T) {
	s := fragmenttest.NewSigner(t, "Contoso Fragments")
	forger := *s
	forger.Key = fragmenttest.NewKey(t)
	claims := fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso/app", SVN: fragmenttest.SVN(2)}
	payload := []byte("package app\n\nsvn := \"2\"\nframework_version := \"0.5.0\"\n")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("good.cose", s.Sign(t, claims, payload))
	write("forged.cose", forger.Sign(t, claims, payload))
	policyPath := write("policy.rego", []byte(`package policy

api_version := "0.12.0"
framework_version := "0.5.0"

fragments := [{"issuer": "`+s.Issuer+`", "feed": "contoso/app", "minimum_svn": "2", "includes": ["namespace"]}]

load_fragment := data.framework.load_fragment
reason := data.framework.reason
`))
	commands := write("commands.json", []byte(`[{"name": "load_fragment", "input": {"local_path": "good.cose"}},
		{"name": "load_fragment", "input": {"local_path": "forged.cose"}}]`))
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"policy", "simulate", "-policy", policyPath, "-commands", commands}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || lines[0] != `{"name":"load_fragment","allowed":true}` ||
		!strings.HasPrefix(lines[1], `{"name":"load_fragment","allowed":false,"error":"verify signed fragment: COSE_Sign1 signature`) {
		t.Fatalf("output:\n%s", stdout.String())
	}
}
