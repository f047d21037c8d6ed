package native

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// guestData is the shape of the guest's data.* the plan reads.
func guestData() map[string]any {
	mount := map[string]any{"destination": "/proc", "source": "proc", "type": "proc", "options": []any{"nosuid"}}
	return map[string]any{
		"defaultMounts": []any{mount}, "privilegedMounts": []any{mount},
		"sandboxPrefix": "sandbox://", "hugePagesPrefix": "hugepages://", "plan9Prefix": "plan9://",
		"defaultUnprivilegedCapabilities": []any{"CAP_KILL"}, "defaultPrivilegedCapabilities": []any{"CAP_KILL", "CAP_KILL"},
	}
}

const header = "package policy\napi_version := \"0.12.0\"\nframework_version := \"0.5.0\"\n"

const delegating = header + `containers := [{"layers": ["aa", 1]}, {"command": []}]
create_container := data.framework.create_container
mount_device := data.framework.mount_device
`

// TestExtract checks which policy shapes get a plan for which rules:
// anything but the framework's own rules, at its version, without
// dropping, falls back to OPA.
func TestExtract(t *testing.T) {
	noKey := func(key string) map[string]any { d := guestData(); delete(d, key); return d }
	withKey := func(key string, v any) map[string]any { d := guestData(); d[key] = v; return d }
	for _, tc := range []struct {
		name          string
		policy        string
		data          map[string]any
		create, mount bool
	}{
		{"both delegated", delegating, guestData(), true, true},
		{"dropping flags false", delegating + "allow_environment_variable_dropping := false\nallow_capability_dropping := false\n", guestData(), true, true},
		{"environment dropping", delegating + "allow_environment_variable_dropping := true\n", guestData(), false, true},
		{"capability dropping", delegating + "allow_capability_dropping := true\n", guestData(), false, true},
		{"dropping computed", delegating + "allow_capability_dropping := input.x\n", guestData(), false, true},
		{"older framework", "package policy\nframework_version := \"0.3.0\"\ncreate_container := data.framework.create_container\nmount_device := data.framework.mount_device\n", guestData(), false, false},
		{"no framework version", "package policy\ncreate_container := data.framework.create_container\nmount_device := data.framework.mount_device\n", guestData(), false, false},
		{"framework_svn too", delegating + "framework_svn := \"0.5.0\"\n", guestData(), false, false},
		{"own create_container", header + "create_container := {\"allowed\": true}\nmount_device := data.framework.mount_device\n", guestData(), false, true},
		{"create_container with a body", header + "create_container := data.framework.create_container if input.x\nmount_device := data.framework.mount_device\n", guestData(), false, true},
		{"create_container with a default", delegating + "default create_container := {\"allowed\": false}\n", guestData(), false, true},
		{"another framework rule", header + "create_container := data.framework.exec_in_container\nmount_device := data.framework.mount_device\n", guestData(), false, true},
		{"computed containers", header + "containers := [c | c := input.c]\nmount_device := data.framework.mount_device\n", guestData(), false, false},
		{"containers not a list", header + "containers := {\"a\": 1}\nmount_device := data.framework.mount_device\n", guestData(), false, false},
		{"no containers", header + "mount_device := data.framework.mount_device\n", guestData(), false, true},
		{"data under framework", delegating, withKey("framework", map[string]any{}), false, false},
		{"data under policy", delegating, withKey("policy", map[string]any{}), false, false},
		{"no default mounts", delegating, noKey("defaultMounts"), false, true},
		{"empty sandbox prefix", delegating, withKey("sandboxPrefix", ""), false, true},
		{"capabilities not strings", delegating, withKey("defaultPrivilegedCapabilities", []any{1}), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ast.ParseModule("policy.rego", tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			p := Extract(m, tc.data)
			if got := p.Covers(RuleCreateContainer); got != tc.create {
				t.Errorf("create_container covered %v, want %v", got, tc.create)
			}
			if got := p.Covers(RuleMountDevice); got != tc.mount {
				t.Errorf("mount_device covered %v, want %v", got, tc.mount)
			}
			if p.Covers("exec_in_container") {
				t.Error("exec_in_container covered")
			}
		})
	}
}

// TestExtractReadsPlan checks what a plan holds: the policy's string
// layers and the guest's capabilities as sets.
func TestExtractReadsPlan(t *testing.T) {
	m, err := ast.ParseModule("policy.rego", delegating)
	if err != nil {
		t.Fatal(err)
	}
	p := Extract(m, guestData())
	if len(p.mount.layers) != 1 || !p.mount.layers["aa"] {
		t.Errorf("layers %v, want only aa", p.mount.layers)
	}
	if len(p.create.privilegedCaps) != 1 {
		t.Errorf("privileged capabilities %v, want one", p.create.privilegedCaps)
	}
}

// TestDecideLeavesDoubtToOPA checks inputs and metadata the plan must
// not decide: wrong types, a used target, loaded fragments, Windows.
func TestDecideLeavesDoubtToOPA(t *testing.T) {
	m, err := ast.ParseModule("policy.rego", delegating)
	if err != nil {
		t.Fatal(err)
	}
	p := Extract(m, guestData())
	linux := map[string]any{"operatingsystem": map[string]any{"ostype": "linux"}}
	mount := map[string]any{"target": "/m0", "deviceHash": "aa", "mountPathRegex": "/m[0-9]+"}
	if _, ops, ok := p.Decide(RuleMountDevice, mount, linux); !ok || len(ops) != 1 {
		t.Fatalf("the plain mount was not decided: %v %v", ops, ok)
	}
	// create is a create_container the plan decides on Linux once
	// createMeta's container is matched: the cases below must fail for
	// their own reason, not for want of a decidable request.
	createMeta := func(ostype string, extra map[string]any) map[string]any {
		c := map[string]any{
			"command": []any{"/app"}, "env_rules": []any{}, "mounts": []any{}, "allow_elevated": false,
			"working_dir": "/", "allow_stdio_access": true, "no_new_privileges": false, "seccomp_profile_sha256": "",
			"capabilities": nil, "user": map[string]any{"umask": "0022", "user_idname": map[string]any{"pattern": "", "strategy": "any"}, "group_idnames": []any{}},
		}
		meta := map[string]any{"operatingsystem": map[string]any{"ostype": ostype}, "matches": map[string]any{"c0": []any{c}}}
		for k, v := range extra {
			meta[k] = v
		}
		return meta
	}
	kill := func() []any { return []any{"CAP_KILL"} }
	create := map[string]any{
		"containerID": "c0", "workingDir": "/", "sandboxDir": "/s", "hugePagesDir": "/h", "umask": "0022",
		"seccompProfileSHA256": "", "argList": []any{"/app"}, "envList": []any{}, "mounts": []any{},
		"privileged": false, "noNewPrivileges": false, "isSandboxContainer": false,
		"user": map[string]any{"id": "0", "name": "root"}, "groups": []any{}, "devices": []any{},
		"capabilities": map[string]any{"bounding": kill(), "effective": kill(), "inheritable": []any{}, "permitted": kill(), "ambient": []any{}},
	}
	if _, ops, ok := p.Decide(RuleCreateContainer, create, createMeta("linux", nil)); !ok || len(ops) != 2 {
		t.Fatalf("the plain create was not decided: %v %v", ops, ok)
	}
	for _, tc := range []struct {
		name  string
		rule  string
		input map[string]any
		meta  map[string]any
	}{
		{"unknown hash", RuleMountDevice, map[string]any{"target": "/m0", "deviceHash": "bb", "mountPathRegex": "/m[0-9]+"}, linux},
		{"hash not a string", RuleMountDevice, map[string]any{"target": "/m0", "deviceHash": 1, "mountPathRegex": "/m[0-9]+"}, linux},
		{"bad expression", RuleMountDevice, map[string]any{"target": "/m0", "deviceHash": "aa", "mountPathRegex": "("}, linux},
		{"target not matched", RuleMountDevice, map[string]any{"target": "/x0", "deviceHash": "aa", "mountPathRegex": "/m[0-9]+"}, linux},
		{"target in use", RuleMountDevice, mount, map[string]any{"devices": map[string]any{"/m0": "aa"}}},
		{"target in use read-write", RuleMountDevice, mount, map[string]any{"rw_devices": map[string]any{"/m0": true}}},
		{"fragments loaded", RuleMountDevice, mount, map[string]any{"issuers": map[string]any{}}},
		{"create on Windows", RuleCreateContainer, create, createMeta("windows", nil)},
		{"create started", RuleCreateContainer, create, createMeta("linux", map[string]any{"started": map[string]any{"c0": map[string]any{}}})},
		{"create without input", RuleCreateContainer, map[string]any{}, linux},
		{"other rule", "exec_in_container", map[string]any{}, linux},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, ok := p.Decide(tc.rule, tc.input, tc.meta); ok {
				t.Error("decided natively")
			}
		})
	}
}
