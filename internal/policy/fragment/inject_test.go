package fragment

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/linux-gcs/gcs/internal/policy/policytest"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

const (
	feed     = "contoso.azurecr.io/app"
	appLayer = "0909090909090909090909090909090909090909090909090909090909090909"
)

// testPolicy admits fragments of issuer on feed from SVN 2, adding
// their containers; it has none of its own.
func testPolicy(issuer string) string {
	return fmt.Sprintf(`package policy

api_version := "0.12.0"
framework_version := "0.5.0"

fragments := [{"issuer": %q, "feed": %q, "minimum_svn": "2", "includes": ["containers"]}]

containers := []

mount_device := data.framework.mount_device
mount_overlay := data.framework.mount_overlay
create_container := data.framework.create_container
load_fragment := data.framework.load_fragment
load_transparency_trust_list := data.framework.load_transparency_trust_list
reason := data.framework.reason
`, issuer, feed)
}

// fragmentRego is a fragment of the given SVN offering one container.
func fragmentRego(svn string) string {
	app := policytest.Container{
		Command:  []string{"/app"},
		EnvRules: `[{"pattern": "PATH=/bin", "strategy": "string", "required": false}]`,
		Layers:   []string{appLayer}, AllowStdio: true,
	}
	return policytest.Fragment("app", svn, app)
}

func quietLog() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

func newPolicy(t *testing.T, issuer string) *policy.Rego {
	t.Helper()
	p, err := policy.NewRego(context.Background(), testPolicy(issuer), policy.Options{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runApp asks for the fragment's container: its layer, its overlay, the
// container itself.
func runApp(ctx context.Context, p policy.Enforcer) error {
	steps := []func() (*policy.Decision, error){
		func() (*policy.Decision, error) {
			return p.MountDevice(ctx, policy.MountDevice{Target: "/run/mounts/scsi/m0", DeviceHash: appLayer})
		},
		func() (*policy.Decision, error) {
			return p.MountOverlay(ctx, policy.MountOverlay{ContainerID: "app", LayerPaths: []string{"/run/mounts/scsi/m0"}, Target: "/run/gcs/c/app/rootfs"})
		},
		func() (*policy.Decision, error) {
			return p.CreateContainer(ctx, policy.CreateContainer{
				SandboxID: "app", ContainerID: "app", Args: []string{"/app"}, Env: []string{"PATH=/bin"}, WorkingDir: "/",
				User: policy.IDName{ID: "0", Name: "root"}, Groups: []policy.IDName{{ID: "0", Name: "root"}}, Umask: "0022",
				Capabilities: &specs.LinuxCapabilities{
					Bounding: policy.DefaultUnprivilegedCapabilities(), Effective: policy.DefaultUnprivilegedCapabilities(),
					Permitted: policy.DefaultUnprivilegedCapabilities(),
				},
			})
		},
	}
	for _, step := range steps {
		d, err := step()
		if err != nil {
			return err
		}
		d.Commit()
	}
	return nil
}

func encode(raw []byte) string { return base64.StdEncoding.EncodeToString(raw) }

// TestInjectLoadsFragment checks the whole path: a fragment signed here
// is verified, offered to the policy's load_fragment, kept, and its
// container is then allowed; before it, the container is refused.
func TestInjectLoadsFragment(t *testing.T) {
	ctx := context.Background()
	s := fragmenttest.NewSigner(t, "Contoso Fragments")
	p := newPolicy(t, s.Issuer)
	if err := runApp(ctx, p); err == nil {
		t.Fatal("the fragment's container was allowed before the fragment")
	}
	in := NewInjector(t.TempDir(), quietLog())
	raw := s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: feed, SVN: fragmenttest.SVN(2)}, []byte(fragmentRego("2")))
	if err := in.Inject(ctx, p, "", encode(raw)); err != nil {
		t.Fatal(err)
	}
	if p.Metadata()["issuers"] == nil {
		t.Fatalf("fragment not recorded by the policy: %v", p.Metadata())
	}
	if err := runApp(ctx, p); err != nil {
		t.Fatalf("the fragment's container: %v", err)
	}
	dir := recordDir(t, in, raw)
	wantFile(t, filepath.Join(dir, fileEnvelope), string(raw))
	wantFile(t, filepath.Join(dir, filePayload), fragmentRego("2"))
	wantFile(t, filepath.Join(dir, "1.succeed"), "")
	var md map[string]any
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, fileMetadata))), &md); err != nil {
		t.Fatal(err)
	}
	if md["issuer"] != s.Issuer || md["feed"] != feed || md["headerSvn"] != float64(2) {
		t.Fatalf("metadata.json %v", md)
	}
}

// TestInjectRefuses checks that each bad fragment is refused with a clear
// error, loads nothing, leaves the fragment's container refused and is
// recorded with a .deny marker holding the error.
func TestInjectRefuses(t *testing.T) {
	ctx := context.Background()
	s := fragmenttest.NewSigner(t, "Contoso Fragments")
	other := fragmenttest.NewSigner(t, "Contoso Fragments")
	forger := *s
	forger.Key = fragmenttest.NewKey(t)
	good := fragmenttest.Claims{Issuer: s.Issuer, Feed: feed, SVN: fragmenttest.SVN(2)}
	truncated := s.Sign(t, good, []byte(fragmentRego("2")))
	truncated = truncated[:len(truncated)/2]
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"wrong signature", forger.Sign(t, good, []byte(fragmentRego("2"))), "fragment failed COSE validation: COSE_Sign1 signature"},
		{"wrong issuer", other.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: feed, SVN: fragmenttest.SVN(2)}, []byte(fragmentRego("2"))), "does not match the envelope's certificate chain"},
		{"issuer not in the policy", other.Sign(t, fragmenttest.Claims{Issuer: other.Issuer, Feed: feed, SVN: fragmenttest.SVN(2)}, []byte(fragmentRego("2"))), "refused by the policy (invalid fragment issuer)"},
		{"feed not in the policy", s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso.azurecr.io/other", SVN: fragmenttest.SVN(2)}, []byte(fragmentRego("2"))), "refused by the policy (invalid fragment feed)"},
		{"header SVN below the minimum", s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: feed, SVN: fragmenttest.SVN(1)}, []byte(fragmentRego("1"))), "security policy fragment refused by the policy: policyDecision<"},
		{"Rego SVN below the minimum", s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: feed}, []byte(fragmentRego("1"))), "refused by the policy (fragment svn is below the specified minimum)"},
		{"payload not Rego", s.Sign(t, good, []byte("{\"containers\": []}\n")), "valid package definition required on first line"},
		{"payload Rego that does not compile", s.Sign(t, good, []byte("package app\n\nsvn := \n")), "unable to load fragment"},
		{"truncated envelope", truncated, "decode COSE_Sign1 envelope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPolicy(t, s.Issuer)
			in := NewInjector(t.TempDir(), quietLog())
			err := in.Inject(ctx, p, MediaTypeFragment, encode(tt.raw))
			if err == nil {
				t.Fatal("fragment accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to say %q", err, tt.want)
			}
			if len(p.Fragments()) != 0 || p.Metadata()["issuers"] != nil {
				t.Fatalf("refused fragment left modules %v, metadata %v", p.Fragments(), p.Metadata())
			}
			if err := runApp(ctx, p); err == nil {
				t.Fatal("the fragment's container is allowed after a refused fragment")
			}
			dir := recordDir(t, in, tt.raw)
			wantFile(t, filepath.Join(dir, fileEnvelope), string(tt.raw))
			wantFile(t, filepath.Join(dir, "1.deny"), err.Error())
		})
	}
}

func TestInjectBadRequests(t *testing.T) {
	ctx := context.Background()
	s := fragmenttest.NewSigner(t, "Contoso Fragments")
	raw := s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: feed, SVN: fragmenttest.SVN(2)}, []byte(fragmentRego("2")))
	tests := []struct {
		name, mediaType, encoded, want string
	}{
		{"not base64", "", "!!not base64!!", "decode fragment"},
		{"unknown media type", "application/json", encode(raw), `unsupported media type "application/json"`},
		{"too large", "", strings.Repeat("A", 2*MaxEnvelope), "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPolicy(t, s.Issuer)
			err := NewInjector(t.TempDir(), quietLog()).Inject(ctx, p, tt.mediaType, tt.encoded)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to say %q", err, tt.want)
			}
			if len(p.Fragments()) != 0 {
				t.Fatalf("loaded %v", p.Fragments())
			}
		})
	}
}

// TestInjectRecordsEachRequest checks that blobs injected twice keep one
// record directory each with a marker per request.
func TestInjectRecordsEachRequest(t *testing.T) {
	ctx := context.Background()
	s := fragmenttest.NewSigner(t, "Contoso Fragments")
	p := newPolicy(t, s.Issuer)
	in := NewInjector(t.TempDir(), quietLog())
	raw := s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: feed, SVN: fragmenttest.SVN(2)}, []byte(fragmentRego("2")))
	if err := in.Inject(ctx, p, "", encode(raw)); err != nil {
		t.Fatal(err)
	}
	if err := in.Inject(ctx, p, "", encode(raw)); err != nil {
		t.Fatal(err)
	}
	dir := recordDir(t, in, raw)
	wantFile(t, filepath.Join(dir, "1.succeed"), "")
	wantFile(t, filepath.Join(dir, "2.succeed"), "")
}

// TestInjectReferenceInfo checks that TCB and platform reference info are
// verified, kept (the last of each) and never offered to the policy.
func TestInjectReferenceInfo(t *testing.T) {
	ctx := context.Background()
	s := fragmenttest.NewSigner(t, "Contoso Platform")
	in := NewInjector(t.TempDir(), quietLog())
	// A closed door refuses everything: reference info never asks it.
	var e policy.Enforcer = policy.ClosedDoor{}
	tcb := s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: "tcb"}, []byte(`{"tcb": 1}`))
	platform := s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: "platform"}, []byte(`{"platform": 1}`))
	if err := in.Inject(ctx, e, MediaTypeTCBReferenceInfo, encode(tcb)); err != nil {
		t.Fatal(err)
	}
	if err := in.Inject(ctx, e, MediaTypePlatformReferenceInfo, encode(platform)); err != nil {
		t.Fatal(err)
	}
	gotTCB, gotPlatform := in.ReferenceInfo()
	if string(gotTCB) != string(tcb) || string(gotPlatform) != string(platform) {
		t.Fatal("reference info not kept as injected")
	}
	forger := *s
	forger.Key = fragmenttest.NewKey(t)
	if err := in.Inject(ctx, e, MediaTypeTCBReferenceInfo, encode(forger.Sign(t, fragmenttest.Claims{}, []byte("x")))); err == nil {
		t.Fatal("badly signed TCB reference info accepted")
	}
	if gotTCB, _ := in.ReferenceInfo(); string(gotTCB) != string(tcb) {
		t.Fatal("a refused blob replaced the TCB reference info")
	}
}

func TestInjectTrustList(t *testing.T) {
	ctx := context.Background()
	s := fragmenttest.NewSigner(t, "Contoso Ledgers")
	list, err := cbor.Marshal(map[string]map[int64]any{"ledger.contoso.net": {1: []any{}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		c       fragmenttest.Claims
		payload []byte
		e       policy.Enforcer
		want    string
	}{
		{"allowed", fragmenttest.Claims{Issuer: s.Issuer, Feed: "ttl", SVN: fragmenttest.SVN(1)}, list, policy.OpenDoor{}, ""},
		{"refused by the policy", fragmenttest.Claims{Issuer: s.Issuer, Feed: "ttl", SVN: fragmenttest.SVN(1)}, list, policy.ClosedDoor{}, "load transparency trust list"},
		{"no SVN", fragmenttest.Claims{Issuer: s.Issuer, Feed: "ttl"}, list, policy.OpenDoor{}, "no SVN"},
		{"not a trust list", fragmenttest.Claims{Issuer: s.Issuer, Feed: "ttl", SVN: fragmenttest.SVN(1)}, []byte("package x\n"), policy.OpenDoor{}, "parse transparency trust list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewInjector(t.TempDir(), quietLog()).Inject(ctx, tt.e, MediaTypeTrustList, encode(s.Sign(t, tt.c, tt.payload)))
			if tt.want == "" && err != nil {
				t.Fatal(err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("error %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestEnsureDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fragments")
	for range 2 {
		if err := EnsureDir(dir); err != nil {
			t.Fatal(err)
		}
	}
	wantFile(t, filepath.Join(dir, "README"), readme)
}

func recordDir(t *testing.T, in *Injector, raw []byte) string {
	t.Helper()
	entries, err := os.ReadDir(in.Dir())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	want := hex.EncodeToString(sum[:])
	if len(entries) != 1 || entries[0].Name() != want {
		t.Fatalf("record directories %v, want one named %s", entries, want)
	}
	return filepath.Join(in.Dir(), want)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wantFile(t *testing.T, path, want string) {
	t.Helper()
	if got := readFile(t, path); got != want {
		t.Fatalf("%s holds %q, want %q", filepath.Base(path), got, want)
	}
}
