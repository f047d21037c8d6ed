package policy

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/framework"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestInstallEnforcesTheRegoItWasGiven: Install must enforce the Rego
// it is given (the bytes whose digest is HOST_DATA). A policy whose
// enforcement rules all sit inside a raw string, opened and closed on lines
// that begin with "api_version", normalises to the open-door text, yet as
// Rego it defines no enforcement rule at all: it refuses everything. Install
// must not turn it into OpenDoor.
func TestInstallEnforcesTheRegoItWasGiven(t *testing.T) {
	ctx := context.Background()
	crafted := "package policy\n\napi_version := \"0.12.0\"\n\napi_version_text := `\n" + openDoorRules() + "\napi_version`\n"

	// As Rego the crafted policy refuses container creation.
	p, err := NewRego(ctx, crafted, quietOptions())
	if err != nil {
		t.Fatalf("crafted policy does not compile: %v", err)
	}
	if _, err := p.CreateContainer(ctx, CreateContainer{ContainerID: "c"}); err == nil {
		t.Fatal("the crafted policy's Rego allows create_container; the test is wrong")
	}

	e, err := Install(ctx, crafted, quietOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.(*Rego); !ok {
		t.Errorf("Install enforces %T for a policy whose Rego defines no enforcement rule (IsOpenDoor=%v)", e, IsOpenDoor(crafted))
	}
	if d, err := e.CreateContainer(ctx, CreateContainer{ContainerID: "c"}); err == nil {
		d.Commit()
		t.Errorf("installed enforcer allows create_container although the policy's Rego refuses it")
	}
}

// openDoorRules returns the open-door policy's rules, without its package
// and api_version lines.
func openDoorRules() string {
	var body []string
	for _, line := range strings.Split(framework.OpenDoorPolicy(), "\n") {
		if strings.HasPrefix(line, "package") || strings.HasPrefix(line, "api_version") {
			continue
		}
		body = append(body, line)
	}
	return strings.Join(body, "\n")
}

// TestIsOpenDoor checks that only the empty policy and the open-door
// policy as Rego (any plain api_version, comments, layout) are the open
// door, and that no policy whose Rego decides otherwise is, however close
// its text comes.
func TestIsOpenDoor(t *testing.T) {
	rules := openDoorRules()
	header := "package policy\napi_version := \"0.12.0\"\n"
	open := header + rules
	lines := strings.Split(strings.TrimSpace(rules), "\n")
	for _, tc := range []struct {
		name   string
		policy string
		open   bool
	}{
		{"empty", "", true},
		{"the open-door policy", framework.OpenDoorPolicy(), true},
		{"api version 0.10.0", strings.Replace(open, "0.12.0", "0.10.0", 1), true},
		{"api version 0.1.0", strings.Replace(open, "0.12.0", "0.1.0", 1), true},
		{"api version 1.0.0", strings.Replace(open, "0.12.0", "1.0.0", 1), true},
		{"a framework version", open + "\nframework_version := \"0.5.0\"\n", true},
		{"comments", "# an open door\n" + strings.ReplaceAll(open, "\n\n", "\n# allowed\n") + "\n# api_version := null\n", true},
		{"comments holding backticks", "# `\n" + header + "# ` api_version `\n" + rules + "\n# `\n", true},
		{"trailing comments", strings.ReplaceAll(open, "true}\n", "true} # `x`\n"), true},
		{"no blank lines", strings.ReplaceAll(open, "\n\n", "\n"), true},
		{"indented with tabs", strings.ReplaceAll(open, "\n", "\n\t"), true},
		{"CRLF line ends", strings.ReplaceAll(open, "\n", "\r\n"), true},
		{"rules in another order", header + reversed(lines), true},
		{"a long comment", "# " + strings.Repeat("x", 1<<16) + "\n" + open, true},
		{"api_version last", "package policy\n" + rules + "\napi_version := \"0.12.0\"\n", true},

		{"blank", " \n\t\n", false},
		{"not Rego", "open door", false},
		{"the exploit: rules in a raw string", header + "api_version_text := `\n" + rules + "\napi_version`\n", false},
		{"raw string closed on a comment line", header + "api_version_text := `\n" + rules + "\n#`\n", false},
		{"raw string opened on a comment line's backtick", header + "api_version_a := 1 # `\n" + "api_version_text := `\n" + rules + "\n# `\n", false},
		{"extra string rule", open + "\nnote := `open door`\n", false},
		{"extra api_version-prefixed rule", open + "\napi_version_note := \"x\"\n", false},
		{"extra rule", open + "\nreason := {\"errors\": []}\n", false},
		{"extra default rule", open + "\ndefault mount_device := {\"allowed\": false}\n", false},
		{"a rule made a default rule", strings.Replace(open, "mount_device := ", "default mount_device := ", 1), false},
		{"a rule with a body", strings.Replace(open, "mount_device := {\"allowed\": true}", "mount_device := {\"allowed\": true} if input.x", 1), false},
		{"a rule denying", strings.Replace(open, "mount_device := {\"allowed\": true}", "mount_device := {\"allowed\": false}", 1), false},
		{"a rule missing", strings.Replace(open, "host_network := {\"allowed\": true}", "", 1), false},
		{"a rule duplicated", open + "\nmount_device := {\"allowed\": true}\n", false},
		{"api_version duplicated", open + "\napi_version := \"0.11.0\"\n", false},
		{"api_version null", strings.Replace(open, "\"0.12.0\"", "null", 1), false},
		{"api_version not a version", strings.Replace(open, "0.12.0", "latest", 1), false},
		{"api_version from data", strings.Replace(open, "\"0.12.0\"", "data.x", 1), false},
		{"api_version missing", "package policy\n" + rules, false},
		{"api_svn instead", strings.Replace(open, "api_version", "api_svn", 1), false},
		{"another package", strings.Replace(open, "package policy", "package policy2", 1), false},
		{"a nested package", strings.Replace(open, "package policy", "package policy.x", 1), false},
		{"an import", strings.Replace(open, "package policy\n", "package policy\nimport rego.v1\n", 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsOpenDoor(tc.policy); got != tc.open {
				t.Errorf("IsOpenDoor = %v, want %v", got, tc.open)
			}
			if tc.open && tc.policy != "" {
				regoAllowsEverything(t, tc.policy)
			}
		})
	}
}

func reversed(lines []string) string {
	out := make([]string, 0, len(lines))
	for i := len(lines) - 1; i >= 0; i-- {
		out = append(out, lines[i])
	}
	return strings.Join(out, "\n") + "\n"
}

// regoAllowsEverything checks that the Rego enforcer allows every point
// under policy but the trust list, which the open-door policy refuses.
func regoAllowsEverything(t *testing.T, policy string) {
	t.Helper()
	ctx := context.Background()
	p, err := NewRego(ctx, policy, quietOptions())
	if err != nil {
		t.Fatalf("as Rego: %v", err)
	}
	for rule, call := range everyPoint(ctx, p) {
		if rule == RuleLoadTransparencyTrustList {
			continue
		}
		d, err := call()
		if err != nil {
			t.Errorf("as Rego, %s: %v", rule, err)
			continue
		}
		d.Commit()
	}
}

// TestOpenDoorPolicyDecidesAsItsRego checks that a non-empty open-door
// policy gets, without a compile, the decisions the Rego enforcer takes
// under it: refused trust lists and nil capabilities, and stdio for an
// exec only in a container whose create was committed.
func TestOpenDoorPolicyDecidesAsItsRego(t *testing.T) {
	ctx := context.Background()
	text := framework.OpenDoorPolicy()
	installed, err := Install(ctx, text, quietOptions())
	if err != nil {
		t.Fatal(err)
	}
	rego, err := NewRego(ctx, text, quietOptions())
	if err != nil {
		t.Fatal(err)
	}
	caps := &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}}
	steps := []struct {
		name   string
		call   func(Enforcer) (*Decision, error)
		commit bool
	}{
		{"exec before create", func(e Enforcer) (*Decision, error) {
			return e.ExecInContainer(ctx, ExecInContainer{ContainerID: "c", Env: []string{"A=1"}, Capabilities: caps})
		}, true},
		{"create without capabilities", func(e Enforcer) (*Decision, error) {
			return e.CreateContainer(ctx, CreateContainer{ContainerID: "c", Env: []string{"A=1"}})
		}, true},
		{"exec without capabilities", func(e Enforcer) (*Decision, error) {
			return e.ExecInContainer(ctx, ExecInContainer{ContainerID: "c"})
		}, true},
		{"create rolled back", func(e Enforcer) (*Decision, error) {
			return e.CreateContainer(ctx, CreateContainer{ContainerID: "d", Capabilities: caps})
		}, false},
		{"exec after a rolled back create", func(e Enforcer) (*Decision, error) {
			return e.ExecInContainer(ctx, ExecInContainer{ContainerID: "d", Capabilities: caps})
		}, true},
		{"create", func(e Enforcer) (*Decision, error) {
			return e.CreateContainer(ctx, CreateContainer{ContainerID: "c", Env: []string{"A=1"}, Capabilities: caps})
		}, true},
		{"exec after create", func(e Enforcer) (*Decision, error) {
			return e.ExecInContainer(ctx, ExecInContainer{ContainerID: "c", Env: []string{"B=2"}, Capabilities: caps})
		}, true},
		{"trust list", func(e Enforcer) (*Decision, error) {
			return e.LoadTransparencyTrustList(ctx, LoadTransparencyTrustList{Ledgers: []string{"l"}})
		}, true},
	}
	points := everyPoint(ctx, nil)
	rules := make([]string, 0, len(points))
	for rule := range points {
		rules = append(rules, rule)
	}
	sort.Strings(rules)
	for _, rule := range rules {
		steps = append(steps, struct {
			name   string
			call   func(Enforcer) (*Decision, error)
			commit bool
		}{rule, func(e Enforcer) (*Decision, error) { return everyPoint(ctx, e)[rule]() }, true})
	}
	for _, step := range steps {
		want, wantErr := step.call(rego)
		got, gotErr := step.call(installed)
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, the Rego's %v", step.name, gotErr, wantErr)
			continue
		}
		if wantErr != nil {
			continue
		}
		if step.commit {
			want.Commit()
			got.Commit()
		} else if err := errors.Join(want.Rollback(ctx), got.Rollback(ctx)); err != nil {
			t.Fatalf("%s: rollback: %v", step.name, err)
		}
		for _, field := range []struct {
			name      string
			got, want any
		}{
			{"result", got.Result, want.Result},
			{"env", got.Env, want.Env},
			{"capabilities", got.Capabilities, want.Capabilities},
			{"stdio", got.AllowStdioAccess, want.AllowStdioAccess},
			{"providers", got.Providers, want.Providers},
		} {
			if !reflect.DeepEqual(field.got, field.want) {
				t.Errorf("%s: %s %v, the Rego's %v", step.name, field.name, field.got, field.want)
			}
		}
	}
}
