package framework

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRego runs the framework's opa-test style tests (*_test.rego) with
// the framework and api modules.
func TestRego(t *testing.T) {
	modules := map[string]*ast.Module{}
	for _, m := range append(Modules(), TestModules()...) {
		parsed, err := ast.ParseModule(m.Name, m.Code)
		if err != nil {
			t.Fatalf("parse %s: %v", m.Name, err)
		}
		modules[m.Name] = parsed
	}
	ch, err := tester.NewRunner().SetModules(modules).Run(context.Background(), modules)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for r := range ch {
		ran++
		switch {
		case r.Error != nil:
			t.Errorf("%s: %v", r.Name, r.Error)
		case r.Fail:
			t.Errorf("%s failed", r.Name)
		}
	}
	if ran < 20 {
		t.Errorf("%d Rego tests ran, want at least 20", ran)
	}
	t.Logf("%d Rego tests", ran)
}

// TestModulesExcludeTests checks that the modules compiled beside a policy
// are the framework and api only.
func TestModulesExcludeTests(t *testing.T) {
	for _, m := range Modules() {
		if m.Name == "opendoor.rego" || len(m.Name) > 10 && m.Name[len(m.Name)-10:] == "_test.rego" {
			t.Errorf("module %s compiled beside policies", m.Name)
		}
	}
}
