package policy

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
)

// cloneInput deep-copies an input document as JSON reads it.
func cloneInput(t testing.TB, in rawInput) rawInput {
	t.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out rawInput
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// listEdit changes the list at key (nil when absent).
func listEdit(key string, edit func([]any) []any) func(rawInput) {
	return func(in rawInput) {
		list, _ := in[key].([]any)
		in[key] = edit(list)
	}
}

func set(key string, v any) func(rawInput) { return func(in rawInput) { in[key] = v } }

// firstMount edits the first requested mount, if any.
func firstMount(edit func(map[string]any)) func(rawInput) {
	return func(in rawInput) {
		if list, _ := in["mounts"].([]any); len(list) > 0 {
			edit(list[0].(map[string]any))
		}
	}
}

func capsEdit(set string, edit func([]any) []any) func(rawInput) {
	return func(in rawInput) {
		if caps, ok := in["capabilities"].(map[string]any); ok {
			list, _ := caps[set].([]any)
			caps[set] = edit(list)
		}
	}
}

func dropFirst(l []any) []any {
	if len(l) == 0 {
		return l
	}
	return l[1:]
}

func appendAll(items ...any) func([]any) []any {
	return func(l []any) []any { return append(l, items...) }
}

// createMutations perturb a create_container input: what its checks read.
var createMutations = []func(rawInput){
	listEdit("envList", appendAll("EXTRA=1")),
	listEdit("envList", dropFirst),
	listEdit("envList", func(l []any) []any { return append(l, l...) }),
	listEdit("envList", func(l []any) []any {
		if len(l) > 0 {
			l[0] = l[0].(string) + "x"
		}
		return l
	}),
	listEdit("envList", appendAll("NOEQUALS")),
	listEdit("envList", appendAll("NAME=\u00e9t\u00e9")),
	listEdit("argList", appendAll("--extra")),
	listEdit("argList", dropFirst),
	set("workingDir", "/elsewhere"),
	listEdit("mounts", dropFirst),
	firstMount(func(m map[string]any) { m["source"] = m["source"].(string) + "/x" }),
	firstMount(func(m map[string]any) { m["destination"] = "/other" }),
	firstMount(func(m map[string]any) { m["options"] = dropFirst(m["options"].([]any)) }),
	firstMount(func(m map[string]any) { m["source"] = "plan9://x" }),
	listEdit("mounts", appendAll(map[string]any{"destination": "/sys", "source": "sysfs", "type": "sysfs", "options": []any{"nosuid", "noexec", "nodev", "rw"}})),
	func(in rawInput) {
		in["isSandboxContainer"] = true
		listEdit("mounts", appendAll(map[string]any{"destination": "/sys", "source": "sysfs", "type": "sysfs", "options": []any{"rw", "nosuid", "noexec", "nodev"}}))(in)
	},
	set("user", map[string]any{"id": "1000", "name": "other"}),
	listEdit("groups", appendAll(map[string]any{"id": "5", "name": "tty"})),
	set("umask", "0077"),
	capsEdit("bounding", dropFirst),
	capsEdit("effective", appendAll("CAP_SYS_ADMIN")),
	capsEdit("ambient", appendAll("CAP_KILL")),
	set("privileged", true),
	set("noNewPrivileges", true),
	set("seccompProfileSHA256", "abc"),
	listEdit("devices", appendAll(map[string]any{"path": "/dev/x", "type": "c", "major": json.Number("1"), "minor": json.Number("3"),
		"fileMode": json.Number("438"), "uid": json.Number("0"), "gid": json.Number("0")})),
	set("containerID", "unknown"),
	func(in rawInput) { delete(in, "umask") },
	set("sandboxDir", "(unbalanced"),
}

// mountMutations perturb a mount_device input.
var mountMutations = []func(rawInput){
	func(in rawInput) { h := in.str("deviceHash"); in["deviceHash"] = h[:len(h)/2] + "0" + h[len(h)/2+1:] },
	set("target", "/run/mounts/scsi/m999"),
	set("target", "/elsewhere"),
	set("mountPathRegex", "("),
	set("mountPathRegex", ".*"),
	set("mountPathRegex", "^/run/mounts/scsi/m[0-9]+$"),
	func(in rawInput) { delete(in, "target") },
}

func mutations(t testing.TB) func(string, rawInput) []rawInput {
	return func(name string, in rawInput) []rawInput {
		var muts []func(rawInput)
		switch name {
		case RuleCreateContainer:
			muts = createMutations
		case RuleMountDevice:
			muts = mountMutations
		}
		out := make([]rawInput, 0, len(muts))
		for _, m := range muts {
			v := cloneInput(t, in)
			m(v)
			out = append(out, v)
		}
		return out
	}
}

// TestNativeMatchesOPAUnderMutation tries, before every create_container
// and mount_device of the corpus, variants of its input (environment,
// arguments, mounts, user, capabilities, privileges, device hashes,
// targets), each undone after: the native plan and OPA must agree on
// every one, and on the metadata after the undo.
func TestNativeMatchesOPAUnderMutation(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Logf("%d decisions made natively", replayCorpus(t, dir, mutations(t)).native)
		})
	}
}
