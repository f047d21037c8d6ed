package engine

import (
	"fmt"
	"github.com/open-policy-agent/opa/v1/ast"
	"maps"
	"reflect"
	"slices"
)

// Metadata is what earlier decisions recorded (data.metadata): each name
// holds either a map (key to value) or a set (a list without duplicates).
// A Metadata value is never changed in place: Apply returns a new one that
// shares the names it did not touch, so a snapshot is a plain copy.
type Metadata map[string]any

// OpAction is what a metadata operation does.
type OpAction string

// The metadata actions a decision may ask for.
const (
	OpAdd    OpAction = "add"
	OpUpdate OpAction = "update"
	OpRemove OpAction = "remove"
)

// OpType is the kind of metadata entry an operation works on.
type OpType string

// The metadata entry kinds.
const (
	OpMap OpType = "map"
	OpSet OpType = "set"
)

// Op is one metadata operation from a decision's "metadata" list.
type Op struct {
	Action OpAction `json:"action"`
	Type   OpType   `json:"type"`
	Name   string   `json:"name"`
	Key    string   `json:"key,omitempty"`
	Value  any      `json:"value,omitempty"`

	// parsed is Value as the policy returned it, when converting Value
	// back would give the same: writing it to the store costs nothing.
	parsed ast.Value
}

// parseOps reads a decision's "metadata" list. A map operation needs a key,
// and every operation but a map removal needs a value.
func parseOps(raw any) ([]Op, error) {
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("metadata is %T, not a list", raw)
	}
	ops := make([]Op, 0, len(list))
	for i, item := range list {
		op, err := parseOp(item)
		if err != nil {
			return nil, fmt.Errorf("metadata operation %d: %w", i, err)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func parseOp(item any) (Op, error) {
	obj, ok := item.(map[string]any)
	if !ok {
		return Op{}, fmt.Errorf("operation is %T, not an object", item)
	}
	op := Op{Type: OpMap}
	if t, present := obj["type"]; present {
		s, ok := t.(string)
		if !ok {
			return Op{}, fmt.Errorf("type is %T, not a string", t)
		}
		op.Type = OpType(s)
	}
	if op.Name, ok = obj["name"].(string); !ok {
		return Op{}, fmt.Errorf("name missing or not a string")
	}
	action, ok := obj["action"].(string)
	if !ok {
		return Op{}, fmt.Errorf("action missing or not a string")
	}
	op.Action = OpAction(action)
	key, hasKey := obj["key"]
	if hasKey {
		if op.Key, ok = key.(string); !ok {
			return Op{}, fmt.Errorf("key is %T, not a string", key)
		}
	}
	var hasValue bool
	op.Value, hasValue = obj["value"]
	if !hasValue && (op.Action != OpRemove || op.Type == OpSet) {
		return Op{}, fmt.Errorf("value missing")
	}
	if op.Type == OpMap && !hasKey {
		return Op{}, fmt.Errorf("key missing")
	}
	return op, nil
}

// Apply returns the metadata after ops, and the names they touched. Adding
// a map key that exists is an error: decisions check for it first, so it
// means two decisions raced or the policy is wrong.
func (m Metadata) Apply(ops []Op) (Metadata, []string, error) {
	out := maps.Clone(m)
	if out == nil {
		out = Metadata{}
	}
	var touched []string
	for _, op := range ops {
		var err error
		switch op.Type {
		case OpMap:
			err = out.applyMap(op)
		case OpSet:
			err = out.applySet(op)
		default:
			err = fmt.Errorf("unknown metadata type %q", op.Type)
		}
		if err != nil {
			return m, nil, err
		}
		if !slices.Contains(touched, op.Name) {
			touched = append(touched, op.Name)
		}
	}
	return out, touched, nil
}

func (m Metadata) applyMap(op Op) error {
	var entries map[string]any
	switch cur := m[op.Name].(type) {
	case nil:
		entries = map[string]any{}
	case map[string]any:
		entries = maps.Clone(cur)
	default:
		return fmt.Errorf("metadata %s is a %T, not a map", op.Name, cur)
	}
	switch op.Action {
	case OpAdd:
		if _, exists := entries[op.Key]; exists {
			return fmt.Errorf("cannot add metadata %s[%s]: it exists", op.Name, op.Key)
		}
		entries[op.Key] = op.Value
	case OpUpdate:
		entries[op.Key] = op.Value
	case OpRemove:
		delete(entries, op.Key)
	default:
		return fmt.Errorf("unknown metadata action %q for a map", op.Action)
	}
	m[op.Name] = entries
	return nil
}

func (m Metadata) applySet(op Op) error {
	var members []any
	switch cur := m[op.Name].(type) {
	case nil:
		members = []any{}
	case []any:
		members = slices.Clone(cur)
	default:
		return fmt.Errorf("metadata %s is a %T, not a set", op.Name, cur)
	}
	same := func(v any) bool { return reflect.DeepEqual(v, op.Value) }
	switch op.Action {
	case OpAdd:
		if !slices.ContainsFunc(members, same) {
			members = append(members, op.Value)
		}
	case OpRemove:
		members = slices.DeleteFunc(members, same)
	default:
		return fmt.Errorf("unknown metadata action %q for a set", op.Action)
	}
	m[op.Name] = members
	return nil
}
