package engine

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// A decision's metadata values (the containers a request matched, say)
// go back into the store. Converting them to Go and back to OPA's values
// costs as much as a small decision: the values the policy returned are
// written as they are whenever the round trip would not change them.

// keepTerm hands evaluation results over unconverted (rego.EvalGenerateJSON).
func keepTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// fromTerm converts an evaluation result as OPA would (ast.JSON, sets
// unsorted), keeping the term too.
func fromTerm(v any) (*ast.Term, any, error) {
	t, ok := v.(*ast.Term)
	if !ok {
		return nil, v, nil
	}
	raw, err := ast.JSONWithOpt(t.Value, ast.JSONOpt{})
	if err != nil {
		return nil, nil, fmt.Errorf("convert result: %w", err)
	}
	return t, raw, nil
}

var (
	metadataKey = ast.InternedTerm(MetadataRoot)
	valueKey    = ast.InternedTerm("value")
)

// attachValues gives each op the OPA value of its "value" from the result
// term, where it survives a round trip through Go unchanged.
func attachValues(ops []Op, result *ast.Term) {
	if result == nil {
		return
	}
	obj, ok := result.Value.(ast.Object)
	if !ok {
		return
	}
	list := obj.Get(metadataKey)
	if list == nil {
		return
	}
	arr, ok := list.Value.(*ast.Array)
	if !ok || arr.Len() != len(ops) {
		return
	}
	for i := range ops {
		op, ok := arr.Elem(i).Value.(ast.Object)
		if !ok {
			continue
		}
		if v := op.Get(valueKey); v != nil && jsonShaped(v.Value) {
			ops[i].parsed = v.Value
		}
	}
}

// jsonShaped reports whether v converts to Go and back unchanged: no sets
// (they become arrays) and no object keys but strings.
func jsonShaped(v ast.Value) bool {
	switch v := v.(type) {
	case ast.Set:
		return false
	case *ast.Array:
		for i := range v.Len() {
			if !jsonShaped(v.Elem(i).Value) {
				return false
			}
		}
	case ast.Object:
		ok := true
		v.Foreach(func(k, x *ast.Term) {
			if _, isString := k.Value.(ast.String); !isString || !jsonShaped(x.Value) {
				ok = false
			}
		})
		return ok
	}
	return true
}

// lastValues maps each map key the ops leave set to the OPA value of the
// last op that set it, if it has one.
func lastValues(ops []Op) map[[2]string]ast.Value {
	var out map[[2]string]ast.Value
	for _, op := range ops {
		if op.Type != OpMap {
			continue
		}
		k := [2]string{op.Name, op.Key}
		if op.Action == OpRemove || op.parsed == nil {
			delete(out, k)
			continue
		}
		if out == nil {
			out = map[[2]string]ast.Value{}
		}
		out[k] = op.parsed
	}
	return out
}

// keyOf is the lastValues key of a data.metadata.<name>.<key> path.
func keyOf(path storage.Path) ([2]string, bool) {
	if len(path) != 3 {
		return [2]string{}, false
	}
	return [2]string{path[1], path[2]}, true
}
