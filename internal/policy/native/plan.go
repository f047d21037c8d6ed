// Package native decides create_container and mount_device in Go, for a
// policy that takes both rules from the framework unchanged: the same
// decisions, results and metadata operations as the framework's Rego, at a
// fraction of the cost of evaluating it.
//
// A Plan is read once from the policy's parsed module and data when the
// policy is installed. It only applies to the shapes it models: a rule the
// policy writes itself, a version or flag it does not model, a value of an
// unexpected type, a regular expression it cannot compile, a denial: in
// every such case Decide answers "not decided" and the caller asks OPA, so
// a decision is always the framework's own.
package native

import (
	"github.com/linux-gcs/gcs/internal/policy/engine"
	"github.com/linux-gcs/gcs/internal/policy/framework"
	"github.com/open-policy-agent/opa/v1/ast"
)

// Rule names the plan can decide.
const (
	RuleCreateContainer = "create_container"
	RuleMountDevice     = "mount_device"
)

// Plan is what the policy's create_container and mount_device need, read
// at install time. A nil *Plan decides nothing.
type Plan struct {
	create *createPlan // nil: create_container is left to OPA
	mount  *mountPlan  // nil: mount_device is left to OPA
	re     regexCache
}

// mountPlan is what mount_device reads besides its input and the metadata.
type mountPlan struct {
	layers map[string]bool // every string in data.policy.containers[_].layers
}

// createPlan is what create_container reads besides its input and the
// metadata: the guest's data.
type createPlan struct {
	defaultMounts    []mountRule
	privilegedMounts []mountRule
	sandboxPrefix    string
	hugePagesPrefix  string
	plan9Prefix      string
	privilegedCaps   []string // deduplicated: the framework makes a set of them
	unprivilegedCaps []string
}

// Extract reads a plan from the policy's parsed module and the data it is
// compiled with; it returns nil when neither rule can be decided natively.
func Extract(policy *ast.Module, data map[string]any) *Plan {
	if policy == nil || policy.Package == nil || policy.Package.Path.String() != "data.policy" {
		return nil
	}
	// Data under the framework's, the API's or the policy's own path
	// could change what the framework reads.
	for _, reserved := range []string{"framework", "api", "policy"} {
		if _, ok := data[reserved]; ok {
			return nil
		}
	}
	rules := rulesByName(policy)
	if !currentVersion(rules) {
		return nil
	}
	p := &Plan{re: newRegexCache()}
	if delegates(rules, RuleMountDevice) {
		p.mount = extractMount(rules)
	}
	if delegates(rules, RuleCreateContainer) && createFlagsModeled(rules) {
		p.create = extractCreate(data)
	}
	if p.mount == nil && p.create == nil {
		return nil
	}
	return p
}

// Covers reports which rules the plan decides natively.
func (p *Plan) Covers(rule string) bool {
	switch {
	case p == nil:
		return false
	case rule == RuleCreateContainer:
		return p.create != nil
	case rule == RuleMountDevice:
		return p.mount != nil
	}
	return false
}

// Decide decides rule natively: the rule's result (without "metadata")
// and the metadata operations it asks for. ok is false when the plan does
// not decide it (not covered, not modeled, or not allowed): ask OPA then.
func (p *Plan) Decide(rule string, input map[string]any, meta engine.Metadata) (engine.Result, []engine.Op, bool) {
	if p == nil {
		return nil, nil, false
	}
	switch {
	case rule == RuleCreateContainer && p.create != nil:
		return p.createContainer(input, meta)
	case rule == RuleMountDevice && p.mount != nil:
		return p.mountDevice(input, meta)
	}
	return nil, nil, false
}

func rulesByName(m *ast.Module) map[string][]*ast.Rule {
	out := map[string][]*ast.Rule{}
	for _, r := range m.Rules {
		ref := r.Head.Ref()
		if len(ref) == 0 {
			continue
		}
		name := ref[0].Value.String()
		if s, ok := ref[0].Value.(ast.String); ok {
			name = string(s)
		}
		out[name] = append(out[name], r)
	}
	return out
}

// plainRule is the one rule of that name when it is a plain constant
// assignment: name := value, no body, no arguments, no else, not a default.
func plainRule(rules map[string][]*ast.Rule, name string) (*ast.Rule, bool) {
	rs := rules[name]
	if len(rs) != 1 {
		return nil, false
	}
	r := rs[0]
	if r.Default || r.Else != nil || len(r.Head.Args) != 0 || len(r.Head.Ref()) != 1 || r.Head.Key != nil || r.Head.Value == nil {
		return nil, false
	}
	if len(r.Body) != 1 || len(r.Body[0].With) != 0 || r.Body[0].Negated {
		return nil, false
	}
	t, ok := r.Body[0].Terms.(*ast.Term)
	if !ok || !t.Equal(ast.BooleanTerm(true)) {
		return nil, false
	}
	return r, true
}

// constant reads a rule that is a plain assignment of a ground value.
// present is false when the policy has no rule of that name; ok is false
// when it has one of another shape.
func constant(rules map[string][]*ast.Rule, name string) (value any, present, ok bool) {
	if len(rules[name]) == 0 {
		return nil, false, true
	}
	r, plain := plainRule(rules, name)
	if !plain || !r.Head.Value.IsGround() {
		return nil, true, false
	}
	v, err := ast.JSON(r.Head.Value.Value)
	if err != nil {
		return nil, true, false
	}
	return v, true, true
}

// delegates reports whether the policy's rule is exactly
// `name := data.framework.name`.
func delegates(rules map[string][]*ast.Rule, name string) bool {
	r, ok := plainRule(rules, name)
	if !ok {
		return false
	}
	want := ast.MustParseRef("data.framework." + name)
	ref, isRef := r.Head.Value.Value.(ast.Ref)
	return isRef && ref.Equal(want)
}

// currentVersion: the policy declares the framework's own version, under
// its current name only.
func currentVersion(rules map[string][]*ast.Rule) bool {
	v, present, ok := constant(rules, "framework_version")
	if !present || !ok || v != framework.Version {
		return false
	}
	_, old, _ := constant(rules, "framework_svn")
	return !old
}

// createFlagsModeled: neither environment variable nor capability
// dropping (absent or a constant false).
func createFlagsModeled(rules map[string][]*ast.Rule) bool {
	for _, flag := range []string{"allow_environment_variable_dropping", "allow_capability_dropping"} {
		v, present, ok := constant(rules, flag)
		if !ok || (present && v != false) {
			return false
		}
	}
	return true
}

func extractMount(rules map[string][]*ast.Rule) *mountPlan {
	v, present, ok := constant(rules, "containers")
	if !ok {
		return nil
	}
	mp := &mountPlan{layers: map[string]bool{}}
	if !present {
		return mp
	}
	list, isList := v.([]any)
	if !isList {
		return nil
	}
	for _, c := range list {
		obj, isObj := c.(map[string]any)
		if !isObj {
			return nil
		}
		raw, has := obj["layers"]
		if !has {
			continue
		}
		layers, isList := raw.([]any)
		if !isList {
			return nil
		}
		for _, l := range layers {
			if s, isStr := l.(string); isStr {
				mp.layers[s] = true
			}
		}
	}
	return mp
}

func extractCreate(data map[string]any) *createPlan {
	var cp createPlan
	var ok [7]bool
	cp.defaultMounts, ok[0] = mountRules(data["defaultMounts"])
	cp.privilegedMounts, ok[1] = mountRules(data["privilegedMounts"])
	cp.sandboxPrefix, ok[2] = nonEmpty(data["sandboxPrefix"])
	cp.hugePagesPrefix, ok[3] = nonEmpty(data["hugePagesPrefix"])
	cp.plan9Prefix, ok[4] = nonEmpty(data["plan9Prefix"])
	cp.privilegedCaps, ok[5] = stringSet(data["defaultPrivilegedCapabilities"])
	cp.unprivilegedCaps, ok[6] = stringSet(data["defaultUnprivilegedCapabilities"])
	for _, good := range ok {
		if !good {
			return nil
		}
	}
	return &cp
}

func nonEmpty(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok && s != ""
}

// stringSet is a list of strings without its duplicates.
func stringSet(v any) ([]string, bool) {
	list, ok := stringList(v)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, true
}
