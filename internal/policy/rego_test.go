package policy

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestCreateContainerKeepsWhatPolicyAllows checks that the decision's
// environment and capabilities are the request's, less what the policy
// dropped, in the request's order.
func TestCreateContainerKeepsWhatPolicyAllows(t *testing.T) {
	p := unitPolicy(t, Options{})
	d := startContainer(t, p, "c1")
	if want := []string{"PATH=/bin", "KEEP_ME=1"}; !reflect.DeepEqual(d.Env, want) {
		t.Errorf("env %q, want %q", d.Env, want)
	}
	wantCaps := &specs.LinuxCapabilities{
		Bounding: []string{"CAP_CHOWN", "CAP_KILL"}, Effective: []string{"CAP_CHOWN", "CAP_KILL"},
		Inheritable: []string{}, Permitted: []string{"CAP_CHOWN", "CAP_KILL"}, Ambient: []string{},
	}
	if !reflect.DeepEqual(d.Capabilities, wantCaps) {
		t.Errorf("capabilities %+v, want %+v", d.Capabilities, wantCaps)
	}
	if !d.AllowStdioAccess {
		t.Error("stdio access refused, the policy allows it")
	}
	exec, err := p.ExecInContainer(context.Background(), ExecInContainer{
		ContainerID: "c1", Args: []string{"sh"}, Env: []string{"PATH=/bin"}, WorkingDir: "/",
		User: IDName{ID: "0", Name: "root"}, Umask: "0022", Capabilities: &specs.LinuxCapabilities{
			Bounding: []string{"CAP_KILL", "CAP_CHOWN"}, Effective: []string{"CAP_KILL", "CAP_CHOWN"}, Permitted: []string{"CAP_KILL", "CAP_CHOWN"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	exec.Commit()
	if !exec.AllowStdioAccess {
		t.Error("exec in a container with stdio access: refused")
	}
}

// TestRollbackUndoesMetadata checks that a rolled-back decision leaves the
// metadata as it was, so the same request is allowed again, and that a
// committed one is kept.
func TestRollbackUndoesMetadata(t *testing.T) {
	ctx := context.Background()
	p := unitPolicy(t, Options{})
	before := p.Metadata()
	req := MountDevice{Target: "/run/mounts/scsi/m0", DeviceHash: layer1}
	d, err := p.MountDevice(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Metadata()["devices"]; !ok {
		t.Fatal("allowed mount recorded nothing")
	}
	if len(d.Recorded) != 1 || d.Recorded[0].Name != "devices" || d.Recorded[0].Key != req.Target {
		t.Fatalf("decision says it recorded %+v", d.Recorded)
	}
	if err := d.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Metadata(), before) {
		t.Fatalf("metadata after rollback %v, want %v", p.Metadata(), before)
	}
	d.Commit() // after Rollback: nothing
	d, err = p.MountDevice(ctx, req)
	if err != nil {
		t.Fatalf("mount after rollback: %v", err)
	}
	d.Commit()
	if err := d.Rollback(ctx); err != nil { // after Commit: nothing
		t.Fatal(err)
	}
	if _, err := p.MountDevice(ctx, req); err == nil {
		t.Fatal("second mount at the same target allowed: the committed one was lost")
	}
}

// TestRollbackOfContainerStart checks rollback across several metadata
// names (matches updated, started added) and the stdio record.
func TestRollbackOfContainerStart(t *testing.T) {
	ctx := context.Background()
	p := unitPolicy(t, Options{})
	commit(t)(p.MountDevice(ctx, MountDevice{Target: "/run/mounts/scsi/m0", DeviceHash: layer1}))
	commit(t)(p.MountOverlay(ctx, MountOverlay{ContainerID: "c1", LayerPaths: []string{"/run/mounts/scsi/m0"}, Target: "/t"}))
	d, err := p.CreateContainer(ctx, appRequest("c1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if started, _ := p.Metadata()["started"].(map[string]any); started["c1"] != nil {
		t.Fatal("started still records c1 after rollback")
	}
	commit(t)(p.CreateContainer(ctx, appRequest("c1")))
}

// TestFragmentRollback checks that a rolled-back load_fragment also drops
// the fragment's module.
func TestFragmentRollback(t *testing.T) {
	ctx := context.Background()
	code := `package policy

api_version := "0.12.0"
framework_version := "0.5.0"

fragments := [{"issuer": "did:i", "feed": "f", "minimum_svn": "1", "includes": ["namespace"]}]

load_fragment := data.framework.load_fragment
reason := data.framework.reason
`
	p, err := NewRego(ctx, code, Options{Log: unitPolicy(t, Options{}).log})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.LoadFragment(ctx, LoadFragment{Issuer: "did:i", Feed: "f", Rego: "package frag\n\nsvn := 1\nframework_version := \"0.5.0\"\n"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Loaded("did:i", "f") {
		t.Fatal("fragment with add_module not loaded")
	}
	if err := d.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if _, recorded := p.Metadata()["issuers"]; p.Loaded("did:i", "f") || recorded {
		t.Fatalf("rollback kept the fragment: modules %v, metadata %v", p.Fragments(), p.Metadata())
	}
}

// TestDenialCarriesDecision checks the denial format: the message decodes
// to the decision, with the rule in the input, the reasons, and env values
// and default capabilities redacted.
func TestDenialCarriesDecision(t *testing.T) {
	ctx := context.Background()
	p := unitPolicy(t, Options{})
	req := appRequest("nomatch")
	req.Capabilities = &specs.LinuxCapabilities{
		Bounding: DefaultUnprivilegedCapabilities(), Effective: DefaultUnprivilegedCapabilities(),
		Permitted: DefaultUnprivilegedCapabilities(),
	}
	_, err := p.CreateContainer(ctx, req)
	var denial *DenialError
	if !errors.As(err, &denial) {
		t.Fatalf("error %v is not a denial", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "policyDecision< ") || !strings.HasSuffix(msg, " >policyDecision") {
		t.Fatalf("message %q is not a policy decision", msg)
	}
	if strings.Contains(msg, "hunter2") {
		t.Fatal("message carries an environment value in clear")
	}
	decision, err := ParseDecision(msg)
	if err != nil {
		t.Fatal(err)
	}
	if decision["decision"] != "deny" {
		t.Errorf("decision %v", decision["decision"])
	}
	input := decision["input"].(map[string]any)
	if input["rule"] != "create_container" {
		t.Errorf("input rule %v", input["rule"])
	}
	wantEnv := []any{"PATH=<<redacted>>", "KEEP_ME=<<redacted>>", "SECRET=<<redacted>>"}
	if !reflect.DeepEqual(input["envList"], wantEnv) {
		t.Errorf("envList %v, want %v", input["envList"], wantEnv)
	}
	if input["capabilities"] != "[unprivileged]" {
		t.Errorf("capabilities %v, want [unprivileged]", input["capabilities"])
	}
	reasons := denial.Reasons()
	if !strings.Contains(strings.Join(reasons, "|"), "invalid command") {
		t.Errorf("reasons %q", reasons)
	}
}

// TestDenialIsBounded checks that a long decision is cut to the limit by
// leaving out, in turn, the error objects, the input and the reason, and
// says what it left out.
func TestDenialIsBounded(t *testing.T) {
	ctx := context.Background()
	huge := make([]string, 0, 2000)
	for range 2000 {
		huge = append(huge, "VAR_WITH_A_RATHER_LONG_NAME_TO_FILL_THE_MESSAGE=x")
	}
	for _, tc := range []struct {
		limit     int
		truncated []any
	}{
		{limit: -1},
		{limit: 200_000, truncated: []any{"reason.error_objects", "input"}},
		{limit: 200, truncated: []any{"reason.error_objects", "input", "reason"}},
	} {
		p := unitPolicy(t, Options{MaxErrorLength: tc.limit})
		startContainer(t, p, "c1")
		_, err := p.ExecInContainer(ctx, ExecInContainer{ContainerID: "c1", Args: []string{"nope"}, Env: huge,
			Capabilities: &specs.LinuxCapabilities{}})
		if err == nil {
			t.Fatal("exec allowed")
		}
		if tc.limit > 0 && len(err.Error()) > tc.limit {
			t.Errorf("limit %d: message is %d bytes", tc.limit, len(err.Error()))
		}
		decision, perr := ParseDecision(err.Error())
		if perr != nil {
			t.Fatal(perr)
		}
		if got := decision["truncated"]; !reflect.DeepEqual(got, anyOrNil(tc.truncated)) {
			t.Errorf("limit %d: truncated %v, want %v", tc.limit, got, tc.truncated)
		}
	}
}

func anyOrNil(list []any) any {
	if list == nil {
		return nil
	}
	return list
}

// TestEvaluationErrorIsDenial checks that a policy that cannot decide
// denies with the evaluation error in the decision.
func TestEvaluationErrorIsDenial(t *testing.T) {
	ctx := context.Background()
	p, err := NewRego(ctx, "package policy\n\napi_version := \"0.12.0\"\n", Options{Log: unitPolicy(t, Options{}).log})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.GetProperties(ctx)
	decision, perr := ParseDecision(errString(err))
	if perr != nil {
		t.Fatalf("error %v: %v", err, perr)
	}
	if decision["policyError"] != "rule for get_properties is missing from policy" {
		t.Errorf("policyError %v", decision["policyError"])
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestNewRegoRejectsBadPolicy checks that a policy that does not compile
// is refused at install time.
func TestNewRegoRejectsBadPolicy(t *testing.T) {
	if _, err := NewRego(context.Background(), "package policy\n\nx := {", Options{}); err == nil {
		t.Fatal("a policy with a syntax error installed")
	}
}

// TestRuleNamesAreChecked checks that a rule name cannot smuggle Rego
// into the query it becomes.
func TestRuleNamesAreChecked(t *testing.T) {
	p := unitPolicy(t, Options{})
	for _, name := range []string{"", "get_properties; true", "x.y", "Get", "a[0]"} {
		if _, err := p.Decide(context.Background(), name, map[string]any{}); err == nil || !strings.Contains(err.Error(), "not an enforcement point name") {
			t.Errorf("rule %q: error %v", name, err)
		}
	}
}

// TestNilCapabilitiesRefused checks the guard the reference has: a Linux
// process without a capabilities object is never evaluated.
func TestNilCapabilitiesRefused(t *testing.T) {
	p := unitPolicy(t, Options{})
	req := appRequest("c1")
	req.Capabilities = nil
	if _, err := p.CreateContainer(context.Background(), req); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Fatalf("error %v, want the nil capabilities error", err)
	}
}

// Decisions under Join(ctx, d) do not wait for d (which would deadlock)
// and are kept or undone with it.
func TestJoinedDecisionsFollowTheOuterOne(t *testing.T) {
	ctx := context.Background()
	p := unitPolicy(t, Options{})
	const m0, root = "/run/mounts/scsi/m0", "/run/gcs/c/x/rootfs"
	for _, keep := range []bool{false, true} {
		outer, err := p.MountDevice(ctx, MountDevice{Target: m0, DeviceHash: layer1})
		if err != nil {
			t.Fatal(err)
		}
		inner, err := p.MountOverlay(Join(ctx, outer), MountOverlay{ContainerID: "x", LayerPaths: []string{m0}, Target: root})
		if err != nil {
			t.Fatalf("joined overlay: %v", err)
		}
		inner.Commit() // does nothing: outer decides
		if !keep {
			if err := outer.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			continue // both are allowed again below: nothing was kept
		}
		outer.Commit()
	}
	if _, err := p.MountOverlay(ctx, MountOverlay{ContainerID: "y", LayerPaths: []string{m0}, Target: root}); err == nil {
		t.Fatalf("second overlay at %s allowed: the committed one was not kept", root)
	}
}
