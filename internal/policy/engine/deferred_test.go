package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func lib(t *testing.T, code string) *Base {
	t.Helper()
	base, err := ParseBase([]Module{{Name: "lib.rego", Code: code}})
	if err != nil {
		t.Fatal(err)
	}
	return base
}

func deferred(t *testing.T, policy string, base *Base) (*Engine, error) {
	t.Helper()
	parsed, err := Parse(policy)
	if err != nil {
		t.Fatal(err)
	}
	return NewDeferred(context.Background(), parsed, func() (*Base, error) { return base, nil }, nil)
}

// TestDeferredAnswersAsParsed: a deferred engine records metadata before its
// compile is done and answers, once compiled, as NewParsed's would.
func TestDeferredAnswersAsParsed(t *testing.T) {
	ctx := context.Background()
	e, err := deferred(t, counterPolicy, lib(t, "package lib\n\nanswer := 42\n"))
	if err != nil {
		t.Fatal(err)
	}
	op := Op{Action: OpAdd, Type: OpMap, Name: "seen", Key: "early", Value: true}
	if err := e.Apply(ctx, []Op{op}); err != nil {
		t.Fatalf("apply before the compile is done: %v", err)
	}
	if err := e.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(seen(t, e)); got != "1" {
		t.Fatalf("seen %v, want the early record", got)
	}
	r, _, err := e.Query(ctx, "data.policy.lib", nil)
	if err != nil || fmt.Sprint(r["answer"]) != "42" {
		t.Fatalf("lib = %v, %v; want the base's answer 42", r, err)
	}
	if err := e.AddModule(Module{Name: "frag", Code: "package frag\n\nx := 1\n"}); err != nil {
		t.Fatal(err)
	}
}

// TestDeferredCompileError: a policy that compiles alone but not with the
// base (its constant has a type the base cannot index) fails every query and
// module change with the compile's error; its metadata stays readable.
func TestDeferredCompileError(t *testing.T) {
	ctx := context.Background()
	base := lib(t, "package lib\n\nnames contains n if {\n\tn := data.policy.items[_].name\n}\n")
	e, err := deferred(t, "package policy\n\nitems := 5\n\nq := {\"n\": data.lib.names}\n", base)
	if err != nil {
		t.Fatalf("the policy compiles alone: %v", err)
	}
	err = e.Wait(ctx)
	if err == nil || !strings.Contains(err.Error(), "rego_type_error") {
		t.Fatalf("Wait = %v, want the type error", err)
	}
	if _, _, err := e.Query(ctx, "data.policy.q", nil); err == nil || !strings.Contains(err.Error(), "compile policy") {
		t.Fatalf("Query = %v, want the compile error", err)
	}
	if err := e.AddModule(Module{Name: "frag", Code: "package frag\n\nx := 1\n"}); err == nil {
		t.Fatal("AddModule succeeded on a policy that does not compile")
	}
	if err := e.RemoveModule("frag"); err == nil {
		t.Fatal("RemoveModule succeeded on a policy that does not compile")
	}
	if e.Metadata() == nil {
		t.Fatal("no metadata")
	}
}

// TestDeferredCompilesAtOnceWhenPolicyNeedsBase: a policy that calls a
// function of the base does not compile alone: NewDeferred compiles it with
// the base before returning, and reports its errors as NewParsed does.
func TestDeferredCompilesAtOnceWhenPolicyNeedsBase(t *testing.T) {
	base := lib(t, "package lib\n\ndouble(x) := x * 2\n")
	for _, tc := range []struct {
		name, policy, wantErr string
	}{
		{"compiles", "package policy\n\nv := {\"d\": data.lib.double(2)}\n", ""},
		{"does not", "package policy\n\nv := {\"d\": data.lib.triple(2)}\n", "undefined function data.lib.triple"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := deferred(t, tc.policy, base)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("NewDeferred = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-e.ready:
			default:
				t.Fatal("NewDeferred returned before compiling a policy that needs its base")
			}
			r, _, err := e.Query(context.Background(), "data.policy.v", nil)
			if err != nil || fmt.Sprint(r["d"]) != "4" {
				t.Fatalf("v = %v, %v; want 4", r, err)
			}
		})
	}
}

// TestDeferredWaitHonoursContext: a cancelled wait reports ctx's error.
func TestDeferredWaitHonoursContext(t *testing.T) {
	e := &Engine{ready: make(chan struct{})} // a compile that never ends
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Wait(ctx); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("Wait = %v, want the context's error", err)
	}
}

// TestDeferredReturnsBeforeTheBase: NewDeferred returns while the base is
// still being loaded (here: held), queries wait for it, and answer once it
// comes.
func TestDeferredReturnsBeforeTheBase(t *testing.T) {
	release := make(chan struct{})
	base := lib(t, "package lib\n\nanswer := 42\n")
	parsed, err := Parse(counterPolicy)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewDeferred(context.Background(), parsed, func() (*Base, error) { <-release; return base, nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	held, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := e.Query(held, "data.policy.lib", nil); err == nil || !strings.Contains(err.Error(), "wait for the policy to compile") {
		t.Fatalf("Query before the base = %v, want it to wait", err)
	}
	close(release)
	r, _, err := e.Query(context.Background(), "data.policy.lib", nil)
	if err != nil || fmt.Sprint(r["answer"]) != "42" {
		t.Fatalf("lib = %v, %v; want 42 once the base came", r, err)
	}
}
