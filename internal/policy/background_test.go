package policy

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/policytest"
)

// illTyped is the unit policy with a containers constant the framework
// cannot index: it compiles alone, and not with the framework.
func illTyped(t *testing.T) string {
	t.Helper()
	code, err := os.ReadFile("testdata/unit/policy.rego")
	if err != nil {
		t.Fatal(err)
	}
	out, ok := policytest.IllTyped(string(code))
	if !ok {
		t.Fatal("unit policy without containers then external_processes")
	}
	return out
}

// TestBackgroundCompileErrorDeniesEverything: with CompileInBackground, a
// policy that fails only with the framework installs, then Ready reports
// why and every enforcement point is denied with the compile error, as a
// synchronous install refuses it.
func TestBackgroundCompileErrorDeniesEverything(t *testing.T) {
	ctx := context.Background()
	code := illTyped(t)
	opts := quietOptions()
	if _, err := NewRego(ctx, code, opts); err == nil || !strings.Contains(err.Error(), "rego_type_error") {
		t.Fatalf("synchronous install = %v, want the type error", err)
	}
	opts.CompileInBackground = true
	p, err := NewRego(ctx, code, opts)
	if err != nil {
		t.Fatalf("background install: %v", err)
	}
	if err := p.Ready(ctx); err == nil || !strings.Contains(err.Error(), "rego_type_error") {
		t.Fatalf("Ready = %v, want the type error", err)
	}
	for rule, decide := range everyPoint(ctx, p) {
		d, err := decide()
		if err == nil {
			d.Commit()
			t.Errorf("%s allowed by a policy that does not compile", rule)
			continue
		}
		decision, perr := ParseDecision(err.Error())
		if perr != nil {
			t.Errorf("%s: %v: %v", rule, err, perr)
			continue
		}
		if msg, _ := decision["policyError"].(string); !strings.Contains(msg, "compile policy") {
			t.Errorf("%s: policyError %q, want the compile error", rule, msg)
		}
	}
}

// TestBackgroundRefusesAtOnce: what the policy alone shows is refused by
// NewRego itself, as without CompileInBackground; a policy that compiles
// only with the framework is compiled before NewRego returns.
func TestBackgroundRefusesAtOnce(t *testing.T) {
	ctx := context.Background()
	opts := quietOptions()
	opts.CompileInBackground = true
	for _, tc := range []struct{ name, policy, wantErr string }{
		{"syntax", "package policy\n\nx := {", "rego_parse_error"},
		{"unsafe", "package policy\n\nx := {\"a\": y}\n", "rego_unsafe_var_error"},
		{"undefined framework function", "package policy\n\nx := {\"a\": data.framework.nosuch(1)}\n", "undefined function"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewRego(ctx, tc.policy, opts); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewRego = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
