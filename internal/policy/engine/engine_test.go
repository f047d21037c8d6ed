package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

const counterPolicy = `package policy

record := {"allowed": true, "metadata": [{"name": "seen", "action": "add", "key": input.key, "value": true}]}

seen := {"count": count(object.keys(object.get(data.metadata, "seen", {})))}

lib := {"answer": data.lib.answer}
`

func newCounter(t *testing.T) *Engine {
	t.Helper()
	base, err := ParseBase([]Module{{Name: "lib.rego", Code: "package lib\n\nanswer := 42\n"}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), counterPolicy, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func seen(t *testing.T, e *Engine) any {
	t.Helper()
	r, _, err := e.Query(context.Background(), "data.policy.seen", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r["count"]
}

// TestMetadataVisibleToLaterQueries checks that applied operations are in
// data.metadata for the next evaluation of a prepared query.
func TestMetadataVisibleToLaterQueries(t *testing.T) {
	ctx := context.Background()
	e := newCounter(t)
	if got := fmt.Sprint(seen(t, e)); got != "0" {
		t.Fatalf("seen %v before any decision", got)
	}
	for i, key := range []string{"a", "b"} {
		_, ops, err := e.Query(ctx, "data.policy.record", map[string]any{"key": key})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Apply(ctx, ops); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(seen(t, e)); got != fmt.Sprint(i+1) {
			t.Fatalf("after %d records seen %v", i+1, got)
		}
	}
}

// TestTxnRollbackRestoresStore checks that a rollback restores what the
// prepared queries read, not just the Go copy, and removes added modules.
func TestTxnRollbackRestoresStore(t *testing.T) {
	ctx := context.Background()
	e := newCounter(t)
	txn := e.Begin()
	_, ops, err := e.Query(ctx, "data.policy.record", map[string]any{"key": "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(ctx, ops); err != nil {
		t.Fatal(err)
	}
	if err := e.AddModule(Module{Name: "frag", Code: "package frag\n\nx := 1\n"}); err != nil {
		t.Fatal(err)
	}
	if err := txn.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(seen(t, e)); got != "0" {
		t.Fatalf("seen %v after rollback", got)
	}
	if e.HasModule("frag") {
		t.Fatal("module added in a rolled-back decision is still loaded")
	}
	// The lock is free again: another decision can begin.
	e.Begin().Commit()
}

// TestQueryShapes checks undefined rules (empty result), non-object rules
// (error) and rules reading other modules.
func TestQueryShapes(t *testing.T) {
	ctx := context.Background()
	e := newCounter(t)
	if r, _, err := e.Query(ctx, "data.policy.nothing", nil); err != nil || len(r) != 0 {
		t.Fatalf("undefined rule: %v, %v", r, err)
	}
	if _, _, err := e.Query(ctx, "data.lib.answer", nil); err == nil {
		t.Fatal("a number was accepted as a decision object")
	}
	if r, _, err := e.Query(ctx, "data.policy.lib", nil); err != nil || r["answer"] == nil {
		t.Fatalf("cross-module rule: %v, %v", r, err)
	}
}

// TestBadModuleKeepsEngine checks that a module that does not compile is
// refused and the engine keeps working without it.
func TestBadModuleKeepsEngine(t *testing.T) {
	e := newCounter(t)
	if err := e.AddModule(Module{Name: "bad", Code: "package bad\n\nx := {"}); err == nil {
		t.Fatal("a module that does not compile was added")
	}
	if e.HasModule("bad") {
		t.Fatal("bad module kept")
	}
	if seen(t, e) == nil {
		t.Fatal("engine broken after a bad module")
	}
}

// TestInitialMetadata checks that data may give the metadata a starting
// state, and that one of the wrong shape is refused.
func TestInitialMetadata(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, counterPolicy, nil, map[string]any{"metadata": map[string]any{"seen": map[string]any{"x": true}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(seen(t, e)); got != "1" {
		t.Fatalf("seen %v, want the 1 of the initial metadata", got)
	}
	for _, bad := range []any{"x", map[string]any{"seen": 3}} {
		if _, err := New(ctx, counterPolicy, nil, map[string]any{"metadata": bad}); err == nil {
			t.Errorf("initial metadata %v accepted", bad)
		}
	}
}

// TestCompileLeavesParsedModulesAlone checks that compiling does not
// change the parsed modules it shares between compiles (the framework's,
// parsed once for every policy).
func TestCompileLeavesParsedModulesAlone(t *testing.T) {
	base, err := ParseBase([]Module{{Name: "lib.rego", Code: "package lib\n\nanswer := x if {\n\tx := 40 + 2\n}\n"}})
	if err != nil {
		t.Fatal(err)
	}
	before := base.modules["lib.rego"].String()
	for range 2 {
		if _, err := New(context.Background(), counterPolicy, base, nil); err != nil {
			t.Fatal(err)
		}
	}
	if after := base.modules["lib.rego"].String(); after != before {
		t.Fatalf("parsed module changed by compiling:\n%s\nbecame\n%s", before, after)
	}
}

// TestQueryStopsWhenContextEnds checks that ending the context stops an
// evaluation (the engine hands OPA its own canceller).
func TestQueryStopsWhenContextEnds(t *testing.T) {
	policy := "package policy\n\nslow := {\"n\": count([y | some y in numbers.range(1, 3000000)])}\n"
	e, err := New(context.Background(), policy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The evaluation takes seconds; cancel it soon after it starts.
	ctx, cancel := context.WithCancel(context.Background())
	defer time.AfterFunc(20*time.Millisecond, cancel).Stop()
	r, _, err := e.Query(ctx, "data.policy.slow", nil)
	if err == nil {
		t.Fatalf("evaluation ran to the end (%v) though its context was cancelled", r)
	}
	if !strings.Contains(err.Error(), "cancel") {
		t.Fatalf("error %q does not say the evaluation was cancelled", err)
	}
}
