package policy

import (
	"regexp"
	"strings"
	"sync"

	"github.com/linux-gcs/gcs/internal/policy/engine"
	"github.com/linux-gcs/gcs/internal/policy/framework"
	"github.com/open-policy-agent/opa/v1/ast"
)

// plainVersion is a version every semver comparison in the framework
// understands. Anything else (null, "latest", an object) makes the
// framework's answers undefined, and the Rego enforcer then refuses every
// request: such a policy is not the open door.
var plainVersion = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$`)
})

// isOpenDoorModule reports whether policy, parsed as Rego exactly as the
// Rego enforcer parses it, is the open-door policy: package policy, no
// import or package annotation, each of the open-door policy's rules once
// (the same rule as OPA compares them: head, body, default and else), an
// api_version and at most a framework_version, each assigned once a plain
// version string, and nothing else. Comments and layout do not count; the
// text does not either, since a line of text can be part of a string.
func isOpenDoorModule(policy string) bool {
	if !mayBeOpenDoor(policy) {
		return false
	}
	// Both modules are parsed anew on each call: comparing parsed terms
	// may sort their keys in place, so none is shared.
	got, err := engine.Parse(policy)
	if err != nil {
		return false
	}
	want, err := engine.Parse(framework.OpenDoorPolicy())
	if err != nil {
		return false // embedded and tested: does not happen
	}
	m, open := got.Module(), want.Module()
	if !m.Package.Equal(open.Package) || len(m.Imports) != 0 || len(m.Annotations) != 0 {
		return false
	}
	var rules []*ast.Rule
	for _, r := range open.Rules {
		if _, ok := versionRule(r); !ok {
			rules = append(rules, r)
		}
	}
	matched := make([]bool, len(rules))
	versions := map[string]bool{}
	for _, r := range m.Rules {
		if name, ok := versionRule(r); ok {
			if versions[name] {
				return false // a conflict: the policy does not compile
			}
			versions[name] = true
			continue
		}
		i := matchRule(rules, matched, r)
		if i < 0 {
			return false
		}
		matched[i] = true
	}
	for _, ok := range matched {
		if !ok {
			return false
		}
	}
	return versions["api_version"]
}

// matchRule returns the index of the first rule not matched yet equal to
// r, or -1.
func matchRule(rules []*ast.Rule, matched []bool, r *ast.Rule) int {
	for i, want := range rules {
		if !matched[i] && want.Equal(r) {
			return i
		}
	}
	return -1
}

// versionRule returns the name of r when r assigns a plain version string
// to api_version or framework_version unconditionally.
func versionRule(r *ast.Rule) (string, bool) {
	h := r.Head
	if r.Default || r.Else != nil || len(r.Annotations) != 0 || len(h.Args) != 0 || h.Key != nil || h.Value == nil {
		return "", false
	}
	ref := h.Ref()
	if len(ref) != 1 {
		return "", false
	}
	name, ok := ref[0].Value.(ast.Var)
	// The only rules a policy may add to the open-door policy's: they
	// change none of its decisions.
	if !ok || (name != "api_version" && name != "framework_version") {
		return "", false
	}
	if !r.Body.Equal(ast.NewBody(ast.NewExpr(ast.BooleanTerm(true)))) {
		return "", false
	}
	v, ok := h.Value.Value.(ast.String)
	if !ok || !plainVersion().MatchString(string(v)) {
		return "", false
	}
	return string(name), true
}

// openDoorSlack is how many bytes of code a policy may have beyond the
// open-door policy's and still be looked at as the open door: room for a
// framework_version, other versions, and other spellings of the same
// rules (not for a policy of containers).
const openDoorSlack = 256

// mayBeOpenDoor is the cheap look before the parse: parsing a real policy
// only to find it is not the open door costs a good part of an install.
// It counts the bytes that are neither blank nor after a '#' (a comment
// in the open-door policy, whose code holds no '#'): a policy with more
// code than the open-door policy plus openDoorSlack is not it. It may
// only answer no for a policy that is not the open door as Rego (a no is
// then compiled, as any policy).
func mayBeOpenDoor(policy string) bool {
	limit := codeBytes(framework.OpenDoorPolicy()) + openDoorSlack
	n := 0
	for line := range strings.SplitSeq(policy, "\n") {
		n += codeBytes(line)
		if n > limit {
			return false
		}
	}
	return true
}

// codeBytes counts the bytes of text that are neither blank nor in a
// comment, a comment being whatever follows a '#' on its line.
func codeBytes(text string) int {
	n := 0
	inComment := false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\n':
			inComment = false
		case inComment || c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
		case c == '#':
			inComment = true
		default:
			n++
		}
	}
	return n
}
