package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/engine"
)

// nativePair is one policy installed twice: with the native plan (fast)
// and with every decision left to OPA (slow).
type nativePair struct {
	fast, slow *Rego
	native     int            // decisions fast's query took from the plan
	byRule     map[string]int // the same, by rule
}

func newNativePair(t testing.TB, code string) *nativePair {
	t.Helper()
	ctx := context.Background()
	// fast is the daemon's configuration: the native plan, and the
	// framework compiled in the background; slow is neither.
	fastOpts := quietOptions()
	fastOpts.CompileInBackground = true
	fast, err := NewRego(ctx, code, fastOpts)
	if err != nil {
		t.Fatal(err)
	}
	opts := quietOptions()
	opts.NoFastPath = true
	slow, err := NewRego(ctx, code, opts)
	if err != nil {
		t.Fatal(err)
	}
	if slow.fast != nil {
		t.Fatal("NoFastPath kept a plan")
	}
	return &nativePair{fast: fast, slow: slow, byRule: map[string]int{}}
}

// opView is an operation without the engine's cached OPA value.
type opView struct {
	Action engine.OpAction
	Type   engine.OpType
	Name   string
	Key    string
	Value  any
}

func opViews(ops []engine.Op) []opView {
	out := make([]opView, 0, len(ops))
	for _, op := range ops {
		out = append(out, opView{op.Action, op.Type, op.Name, op.Key, op.Value})
	}
	return out
}

// decided is what one enforcer answered.
type decided struct {
	d   *Decision
	err error
}

// call runs one request through both enforcers: through the typed method
// when it can express the request, else as a raw input document.
func (np *nativePair) call(t testing.TB, name string, in rawInput) (fast, slow decided) {
	t.Helper()
	ctx := context.Background()
	run := func(p *Rego) decided {
		d, err, ok := typedCall(ctx, p, name, in)
		if !ok {
			d, err = p.Decide(ctx, name, in)
		}
		return decided{d, err}
	}
	// Counted by the enforcer itself: a plan the enforcer's query
	// bypassed would decide nothing here.
	before := np.fast.planned.Load()
	fast = run(np.fast)
	if np.fast.planned.Load() != before {
		np.native++
		np.byRule[name]++
	}
	return fast, run(np.slow)
}

// same fails unless both enforcers answered alike: allowed or not, the
// same denial, the same result, kept environment, capabilities and stdio,
// the same operations; and their metadata and stores agree.
func (np *nativePair) same(t testing.TB, what string, fast, slow decided) {
	t.Helper()
	if (fast.err == nil) != (slow.err == nil) {
		t.Fatalf("%s: native error %v, OPA error %v", what, fast.err, slow.err)
	}
	if fast.err != nil {
		var fd, sd *DenialError
		if errors.As(fast.err, &fd) != errors.As(slow.err, &sd) || fast.err.Error() != slow.err.Error() {
			t.Fatalf("%s: native denial %v, OPA denial %v", what, fast.err, slow.err)
		}
	} else {
		f, s := fast.d, slow.d
		if !reflect.DeepEqual(f.Result, s.Result) {
			t.Fatalf("%s: native result %v, OPA result %v", what, f.Result, s.Result)
		}
		if !reflect.DeepEqual(f.Env, s.Env) || !reflect.DeepEqual(f.Capabilities, s.Capabilities) || f.AllowStdioAccess != s.AllowStdioAccess {
			t.Fatalf("%s: native env %q caps %v stdio %v, OPA env %q caps %v stdio %v", what,
				f.Env, f.Capabilities, f.AllowStdioAccess, s.Env, s.Capabilities, s.AllowStdioAccess)
		}
		if !reflect.DeepEqual(opViews(f.Recorded), opViews(s.Recorded)) {
			t.Fatalf("%s: native ops %+v, OPA ops %+v", what, opViews(f.Recorded), opViews(s.Recorded))
		}
	}
	np.sameState(t, what)
}

// sameState compares the metadata and what OPA's store holds of it.
func (np *nativePair) sameState(t testing.TB, what string) {
	t.Helper()
	if !reflect.DeepEqual(np.fast.Metadata(), np.slow.Metadata()) {
		t.Fatalf("%s: native metadata %v, OPA metadata %v", what, np.fast.Metadata(), np.slow.Metadata())
	}
	ctx := context.Background()
	fs, _, err1 := np.fast.engine.Query(ctx, "data.metadata", nil)
	ss, _, err2 := np.slow.engine.Query(ctx, "data.metadata", nil)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: read stores: %v, %v", what, err1, err2)
	}
	if !reflect.DeepEqual(fs, ss) {
		t.Fatalf("%s: native store %v, OPA store %v", what, fs, ss)
	}
}

// commit keeps (or, with undo, rolls back) both decisions.
func (np *nativePair) finish(t testing.TB, fast, slow decided, undo bool) {
	t.Helper()
	ctx := context.Background()
	for _, d := range []*Decision{fast.d, slow.d} {
		if undo {
			if err := d.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
		} else {
			d.Commit()
		}
	}
}

type corpusCommand struct {
	Name  string   `json:"name"`
	Input rawInput `json:"input"`
}

func readCorpus(t *testing.T, dir string) (string, []corpusCommand) {
	t.Helper()
	code, err := os.ReadFile(filepath.Join(dir, "policy.rego"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []corpusCommand
	dec := json.NewDecoder(bytes.NewReader(mustReadFile(t, filepath.Join(dir, "commands.json"))))
	dec.UseNumber()
	if err := dec.Decode(&cmds); err != nil {
		t.Fatal(err)
	}
	return string(code), cmds
}

// replayCorpus runs every command of a corpus case through both
// enforcers; before each create_container and mount_device it also tries
// the variants mutate gives (each undone after).
func replayCorpus(t *testing.T, dir string, mutate func(string, rawInput) []rawInput) *nativePair {
	code, cmds := readCorpus(t, dir)
	np := newNativePair(t, code)
	np.replay(t, dir, cmds, mutate)
	return np
}

// replay runs commands through both enforcers (see replayCorpus).
func (np *nativePair) replay(t *testing.T, dir string, cmds []corpusCommand, mutate func(string, rawInput) []rawInput) {
	ctx := context.Background()
	for i, c := range cmds {
		if c.Name == RuleLoadFragment {
			fd, ferr := loadFragmentFile(ctx, np.fast, dir, c.Input)
			sd, serr := loadFragmentFile(ctx, np.slow, dir, c.Input)
			np.same(t, c.Name, decided{fd, ferr}, decided{sd, serr})
			np.finish(t, decided{fd, ferr}, decided{sd, serr}, false)
			continue
		}
		if mutate != nil && np.fast.fast != nil { // without a plan both are OPA
			for j, variant := range mutate(c.Name, c.Input) {
				f, s := np.call(t, c.Name, variant)
				np.same(t, c.Name+" variant "+itoaTest(j)+" of #"+itoaTest(i), f, s)
				np.finish(t, f, s, true)
				np.sameState(t, "after undoing a variant")
			}
		}
		f, s := np.call(t, c.Name, c.Input)
		np.same(t, c.Name+" #"+itoaTest(i), f, s)
		np.finish(t, f, s, false)
	}
}

func itoaTest(i int) string { b, _ := json.Marshal(i); return string(b) }

func corpusDirs(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, filepath.Join("testdata/corpus", e.Name()))
	}
	return out
}

// TestNativeMatchesOPAOnCorpus replays every corpus case with and without
// the native plan: every decision, result, kept environment and
// capabilities, operation and the metadata after must be the same; and
// the plan must have decided some of them itself.
func TestNativeMatchesOPAOnCorpus(t *testing.T) {
	total := 0
	for _, dir := range corpusDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			n := replayCorpus(t, dir, nil).native
			t.Logf("%d decisions made natively", n)
			total += n
		})
	}
	if total == 0 {
		t.Fatal("the native plan decided nothing in the corpus")
	}
}
