package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// cachePolicy has rules of every kind constCache tells apart.
const cachePolicy = `package policy

seen_keys := {k | some k, _ in data.metadata.seen}

other_keys := {k | some k, _ in data.metadata.other}

all_names := object.keys(data.metadata)

echo := input.v

mocked := x if {
	x := seen_keys with data.metadata.seen as {"mock": true}
}

now := time.now_ns()

q := {"seen": seen_keys, "other": other_keys, "names": all_names, "echo": echo}

with_first := {"mocked": mocked, "seen": seen_keys}

clock := {"now": now}

add := {"allowed": true, "metadata": [{"name": input.name, "action": "add", "key": input.key, "value": true}]}
`

func query(t *testing.T, e *Engine, rule string, input map[string]any) string {
	t.Helper()
	r, _, err := e.Query(context.Background(), "data.policy."+rule, input)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(r)
}

func add(t *testing.T, e *Engine, name, key string) {
	t.Helper()
	_, ops, err := e.Query(context.Background(), "data.policy.add", map[string]any{"name": name, "key": key})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(context.Background(), ops); err != nil {
		t.Fatal(err)
	}
}

// TestConstCacheFollowsMetadata checks that values kept between queries
// change when the metadata they read changes, and only input-free values
// are kept.
func TestConstCacheFollowsMetadata(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, cachePolicy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		do   func()
		v    int
		want string
	}{
		{func() {}, 1, "map[echo:1 names:[] other:[] seen:[]]"},
		{func() { add(t, e, "seen", "a") }, 2, "map[echo:2 names:[seen] other:[] seen:[a]]"},
		{func() { add(t, e, "other", "b") }, 3, "map[echo:3 names:[other seen] other:[b] seen:[a]]"},
		{func() { add(t, e, "seen", "c") }, 4, "map[echo:4 names:[other seen] other:[b] seen:[a c]]"},
	}
	for i, s := range steps {
		s.do()
		if got := query(t, e, "q", map[string]any{"v": s.v}); got != s.want {
			t.Fatalf("step %d: got %s, want %s", i, got, s.want)
		}
	}
	txn := e.Begin()
	add(t, e, "seen", "d")
	if got := query(t, e, "q", map[string]any{"v": 5}); got != "map[echo:5 names:[other seen] other:[b] seen:[a c d]]" {
		t.Fatalf("before rollback: %s", got)
	}
	if err := txn.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := query(t, e, "q", map[string]any{"v": 6}); got != "map[echo:6 names:[other seen] other:[b] seen:[a c]]" {
		t.Fatalf("after rollback: %s", got)
	}
}

// TestConstCacheIgnoresWith checks that a value computed under "with" is
// not kept for queries without it.
func TestConstCacheIgnoresWith(t *testing.T) {
	e, err := New(context.Background(), cachePolicy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := query(t, e, "with_first", nil); got != "map[mocked:[mock] seen:[]]" {
		t.Fatalf("with_first: %s", got)
	}
	if got := query(t, e, "q", map[string]any{"v": 1}); got != "map[echo:1 names:[] other:[] seen:[]]" {
		t.Fatalf("after with: %s", got)
	}
}

// TestConstCacheSkipsNondeterministic checks that a rule calling a
// non-deterministic built-in is evaluated anew each time.
func TestConstCacheSkipsNondeterministic(t *testing.T) {
	e, err := New(context.Background(), cachePolicy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := query(t, e, "clock", nil)
	for range 1000 {
		if query(t, e, "clock", nil) != first {
			return
		}
	}
	t.Fatalf("time.now_ns stayed %s over 1000 queries", first)
}

// TestMetadataValuesKeepJSONShape checks that a metadata value holding a
// set or a non-string key reads back as the JSON it is recorded as (an
// array, a string key), as when every value went through Go.
func TestMetadataValuesKeepJSONShape(t *testing.T) {
	ctx := context.Background()
	policy := `package policy

add_set := {"allowed": true, "metadata": [{"name": "sets", "action": "add", "key": input.key, "value": {"x"}}]}

add_obj := {"allowed": true, "metadata": [{"name": "objs", "action": "add", "key": input.key, "value": {1: "one"}}]}

shape := {"array": is_array(data.metadata.sets.k), "key": data.metadata.objs.k["1"]}
`
	e, err := New(ctx, policy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first key creates each map; the second is written on its own.
	for _, rule := range []string{"add_set", "add_obj"} {
		for _, key := range []string{"j", "k"} {
			_, ops, err := e.Query(ctx, "data.policy."+rule, map[string]any{"key": key})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Apply(ctx, ops); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := query(t, e, "shape", nil); got != "map[array:true key:one]" {
		t.Fatalf("shape: %s", got)
	}
}

// conflictPolicy has a rule and a function whose definitions disagree:
// evaluating them is an error every time, though OPA caches the first
// value it finds before it meets the second.
const conflictPolicy = `package policy

f(x) := 1 if x > 0

f(x) := 2 if x > 1

two := 1 if data.metadata.operatingsystem

two := 2 if data.metadata.operatingsystem

call := {"v": f(5)}

rule := {"v": two}

double(x) := 2 * x

total := {"v": sum([double(x) | some x in numbers.range(1, 300)])}
`

// TestConstCacheKeepsNothingFromFailedQueries checks that a conflict is
// an error on every query, not only on the first.
func TestConstCacheKeepsNothingFromFailedQueries(t *testing.T) {
	e, err := New(context.Background(), conflictPolicy, nil, map[string]any{"metadata": map[string]any{"operatingsystem": map[string]any{}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{"call", "rule"} {
		for i := range 2 {
			if r, _, err := e.Query(context.Background(), "data.policy."+rule, nil); err == nil {
				t.Fatalf("%s, query %d: no conflict error, got %v", rule, i+1, r)
			}
		}
	}
}

// TestConstCacheBoundsFunctionValues checks that a function keeps at most
// maxKept values, and that its values are right when kept.
func TestConstCacheBoundsFunctionValues(t *testing.T) {
	e, err := New(context.Background(), conflictPolicy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got := query(t, e, "total", nil); got != "map[v:90300]" {
			t.Fatalf("total: %s", got)
		}
	}
	n := e.consts.lookup(ast.MustParseRef("data.policy.double"))
	if n == nil || n.kept == 0 || n.kept > maxKept {
		t.Fatalf("double: node %v keeps %d values, want 1 to %d", n, keptOf(n), maxKept)
	}
}

func keptOf(n *pathNode) int {
	if n == nil {
		return 0
	}
	return n.kept
}
