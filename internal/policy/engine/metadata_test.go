package engine

import (
	"reflect"
	"strings"
	"testing"
)

// TestApply checks the metadata operations' semantics, as the reference
// interpreter has them: map add refuses an existing key, update and remove
// do not care; a set ignores a duplicate add; type and key rules.
func TestApply(t *testing.T) {
	start := Metadata{"m": map[string]any{"a": 1.0}, "s": []any{"x"}}
	for _, tc := range []struct {
		name    string
		ops     []any
		want    Metadata
		wantErr string
	}{
		{"map add", []any{map[string]any{"name": "m", "action": "add", "key": "b", "value": 2.0}},
			Metadata{"m": map[string]any{"a": 1.0, "b": 2.0}, "s": []any{"x"}}, ""},
		{"map add existing", []any{map[string]any{"name": "m", "action": "add", "key": "a", "value": 2.0}}, nil, "exists"},
		{"map update", []any{map[string]any{"name": "m", "action": "update", "key": "a", "value": 3.0}},
			Metadata{"m": map[string]any{"a": 3.0}, "s": []any{"x"}}, ""},
		{"map remove without value", []any{map[string]any{"name": "m", "action": "remove", "key": "a"}},
			Metadata{"m": map[string]any{}, "s": []any{"x"}}, ""},
		{"new map", []any{map[string]any{"name": "n", "action": "add", "key": "k", "value": true}},
			Metadata{"m": map[string]any{"a": 1.0}, "s": []any{"x"}, "n": map[string]any{"k": true}}, ""},
		{"set add duplicate", []any{map[string]any{"name": "s", "type": "set", "action": "add", "value": "x"}}, start, ""},
		{"set add and remove", []any{
			map[string]any{"name": "s", "type": "set", "action": "add", "value": "y"},
			map[string]any{"name": "s", "type": "set", "action": "remove", "value": "x"},
		}, Metadata{"m": map[string]any{"a": 1.0}, "s": []any{"y"}}, ""},
		{"map op on a set", []any{map[string]any{"name": "s", "action": "add", "key": "k", "value": 1.0}}, nil, "not a map"},
		{"map op without key", []any{map[string]any{"name": "m", "action": "add", "value": 1.0}}, nil, "key missing"},
		{"add without value", []any{map[string]any{"name": "m", "action": "add", "key": "k"}}, nil, "value missing"},
		{"unknown action", []any{map[string]any{"name": "m", "action": "frob", "key": "k", "value": 1.0}}, nil, "unknown metadata action"},
		{"unknown type", []any{map[string]any{"name": "m", "type": "bag", "action": "add", "value": 1.0}}, nil, "unknown metadata type"},
		{"second op fails: none applied", []any{
			map[string]any{"name": "m", "action": "add", "key": "b", "value": 2.0},
			map[string]any{"name": "m", "action": "add", "key": "a", "value": 2.0},
		}, nil, "exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ops, err := parseOps(tc.ops)
			if err == nil {
				var got Metadata
				got, _, err = start.Apply(ops)
				if err == nil && !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if !reflect.DeepEqual(start, Metadata{"m": map[string]any{"a": 1.0}, "s": []any{"x"}}) {
				t.Fatalf("Apply changed its receiver: %v", start)
			}
		})
	}
}

// TestChangedPathsSkipsSameList checks that a key updated with the very
// list it held is not rewritten, and that an equal but distinct list, or
// a shorter one, is.
func TestChangedPathsSkipsSameList(t *testing.T) {
	list := []any{"a", "b"}
	old := Metadata{"matches": map[string]any{"c": list}}
	for _, tc := range []struct {
		name    string
		value   any
		written bool
	}{
		{"same list", list, false},
		{"equal copy", []any{"a", "b"}, true},
		{"prefix", list[:1], true},
		{"not a list", "a", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ops := []Op{{Action: OpUpdate, Type: OpMap, Name: "matches", Key: "c", Value: tc.value}}
			next, touched, err := old.Apply(ops)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(changedPaths(old, next, touched, ops)) > 0; got != tc.written {
				t.Errorf("written %v, want %v", got, tc.written)
			}
		})
	}
}
