package simulate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// corpusDir holds the differential corpus: per case a policy.rego, a
// commands.json (and the fragments it names), and expected.jsonl, the
// decisions of hcsshim v0.15.0's own api.rego and framework.rego run by OPA
// the way its enforcer runs them (see docs/POLICY.md, "Differential tests").
const corpusDir = "../testdata/corpus"

// expected is one line of expected.jsonl.
type expected struct {
	Name     string         `json:"name"`
	Allowed  bool           `json:"allowed"`
	Error    bool           `json:"error"`
	Errors   []string       `json:"errors"`
	Result   map[string]any `json:"result"`
	Metadata map[string]any `json:"metadata"`
	Modules  []string       `json:"modules"`
}

func corpusCases(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) < 10 {
		t.Fatalf("corpus has %d cases, want at least 10", len(names))
	}
	return names
}

func readExpected(t *testing.T, path string) []expected {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expected
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var e expected
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// normal turns a value into plain JSON values, numbers kept as text.
func normal(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDifferentialCorpus runs every corpus case and wants, for every
// command, the reference's decision: allowed or not, whether the policy
// could decide at all, the reasons of a denial, the decision object, the
// metadata after it and the fragment modules loaded.
func TestDifferentialCorpus(t *testing.T) {
	ctx := context.Background()
	total := 0
	for _, name := range corpusCases(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(corpusDir, name)
			code, err := os.ReadFile(filepath.Join(dir, "policy.rego"))
			if err != nil {
				t.Fatal(err)
			}
			cmds, err := ReadCommands(filepath.Join(dir, "commands.json"))
			if err != nil {
				t.Fatal(err)
			}
			want := readExpected(t, filepath.Join(dir, "expected.jsonl"))
			if len(want) != len(cmds) {
				t.Fatalf("%d expected lines for %d commands", len(want), len(cmds))
			}
			got, err := Run(ctx, string(code), nil, cmds, dir)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				compareOutcome(t, i, w, got[i])
			}
			total += len(cmds)
		})
	}
	t.Logf("%d commands compared", total)
}

func compareOutcome(t *testing.T, i int, w expected, g Outcome) {
	t.Helper()
	where := func(what string) string { return w.Name + " #" + itoa(i) + ": " + what }
	if g.Allowed != w.Allowed {
		t.Errorf("%s got %v, want %v (reasons %v, error %v)", where("allowed"), g.Allowed, w.Allowed, g.Reasons, g.Err)
		return
	}
	if (g.Err != nil) != w.Error {
		t.Errorf("%s got error %v, want error %v", where("evaluation"), g.Err, w.Error)
		return
	}
	if !w.Allowed && !w.Error {
		reasons := append([]string{}, g.Reasons...)
		sort.Strings(reasons)
		wantReasons := append([]string{}, w.Errors...)
		if !reflect.DeepEqual(reasons, wantReasons) {
			t.Errorf("%s got %q, want %q", where("reasons"), reasons, w.Errors)
		}
	}
	if w.Allowed {
		result := map[string]any{}
		for k, v := range g.Result {
			if k != "parameters" {
				result[k] = v
			}
		}
		if gr, wr := normal(t, result), normal(t, w.Result); !reflect.DeepEqual(gr, wr) {
			t.Errorf("%s\n got %s\nwant %s", where("result"), mustJSON(gr), mustJSON(wr))
		}
	}
	if gm, wm := normal(t, g.Metadata), normal(t, w.Metadata); !reflect.DeepEqual(gm, wm) {
		t.Errorf("%s\n got %s\nwant %s", where("metadata"), mustJSON(gm), mustJSON(wm))
	}
	fragments := g.Fragments
	if fragments == nil {
		fragments = []string{}
	}
	if !reflect.DeepEqual(fragments, w.Modules) {
		t.Errorf("%s got %v, want %v", where("fragments"), fragments, w.Modules)
	}
}

func mustJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func itoa(i int) string {
	raw, _ := json.Marshal(i)
	return string(raw)
}
