package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// policyCorpus is the differential corpus of internal/policy: each case's
// expected.jsonl holds the reference's decisions (see docs/POLICY.md).
const policyCorpus = "../../internal/policy/testdata/corpus"

// TestPolicySimulateCorpus runs every corpus case through "gcsctl policy
// simulate" and wants each printed line to carry the reference's decision:
// allowed, the printed result keys, the denial reasons, and whether the
// policy could decide at all.
func TestPolicySimulateCorpus(t *testing.T) {
	entries, err := os.ReadDir(policyCorpus)
	if err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		cases++
		dir := filepath.Join(policyCorpus, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"policy", "simulate",
				"-policy", filepath.Join(dir, "policy.rego"),
				"-commands", filepath.Join(dir, "commands.json")}, nil, &stdout, &stderr)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			got := jsonLines(t, stdout.Bytes())
			want := jsonLines(t, mustRead(t, filepath.Join(dir, "expected.jsonl")))
			if len(got) != len(want) {
				t.Fatalf("%d lines, want %d", len(got), len(want))
			}
			for i := range want {
				if exp := printedForm(want[i]); !reflect.DeepEqual(got[i], exp) {
					t.Errorf("line %d:\n got %s\nwant %s", i, toJSON(got[i]), toJSON(exp))
				}
			}
		})
	}
	if cases < 10 {
		t.Fatalf("corpus has %d cases", cases)
	}
}

// printedForm is what gcsctl prints for an expected decision; the text of
// an evaluation error is ours, so only its presence is compared.
func printedForm(exp map[string]any) map[string]any {
	out := map[string]any{"name": exp["name"], "allowed": exp["allowed"]}
	if result, ok := exp["result"].(map[string]any); ok {
		for _, k := range []string{"env_list", "caps_list", "allow_stdio_access"} {
			if v, ok := result[k]; ok {
				out[k] = v
			}
		}
	}
	if errs, ok := exp["errors"].([]any); ok && len(errs) > 0 {
		out["errors"] = errs
	}
	if exp["error"] == true {
		out["error"] = "<error>"
	}
	return out
}

func jsonLines(t *testing.T, raw []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if msg, ok := m["error"].(string); ok && msg != "" {
			m["error"] = "<error>"
		}
		if errs, ok := m["errors"].([]any); ok {
			m["errors"] = sortedAny(errs)
		}
		out = append(out, m)
	}
	return out
}

func sortedAny(list []any) []any {
	strs := make([]string, len(list))
	for i, v := range list {
		strs[i], _ = v.(string)
	}
	sort.Strings(strs)
	out := make([]any, len(strs))
	for i, s := range strs {
		out[i] = s
	}
	return out
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func toJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// TestPolicySimulateUsage checks the command's argument errors.
func TestPolicySimulateUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no flags", []string{"policy", "simulate"}, "needs -policy and -commands"},
		{"extra argument", []string{"policy", "simulate", "-policy", "p", "-commands", "c", "x"}, "takes no arguments"},
		{"missing file", []string{"policy", "simulate", "-policy", "/nonexistent/p.rego", "-commands", "/nonexistent/c.json"}, "read policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, nil, &stdout, &stderr); code == exitOK {
				t.Fatalf("exit 0, want failure")
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("stderr %q, want %q", stderr.String(), tc.want)
			}
		})
	}
}

// TestPolicySimulateStartingMetadata checks -data: a metadata object in it
// is the state the first command sees, and the metadata carries on from
// one command to the next.
func TestPolicySimulateStartingMetadata(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	policyPath := write("policy.rego", "package policy\n\napi_version := \"0.12.0\"\nframework_version := \"0.5.0\"\n\nunmount_device := data.framework.unmount_device\n\nreason := data.framework.reason\n")
	commands := write("commands.json", `[{"name": "unmount_device", "input": {"unmountTarget": "/m0"}},
		{"name": "unmount_device", "input": {"unmountTarget": "/m0"}}]`)
	data := write("data.json", `{"metadata": {"devices": {"/m0": "hash"}}}`)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"policy", "simulate", "-policy", policyPath, "-commands", commands, "-data", data},
		nil, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := `{"name":"unmount_device","allowed":true}` + "\n" +
		`{"name":"unmount_device","allowed":false,"errors":["no device at path to unmount"]}` + "\n"
	if stdout.String() != want {
		t.Fatalf("output\n%s\nwant\n%s", stdout.String(), want)
	}
}
