package devmapper

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestTargetSpecsLayout(t *testing.T) {
	specs, err := targetSpecs([]Target{
		{Start: 0, Length: 8, Type: "linear", Params: "/dev/loop0 0"},
		{Start: 8, Length: 16, Type: "zero"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ne := binary.NativeEndian
	first := int(ne.Uint32(specs[20:]))
	if first%8 != 0 || first < specSize+len("/dev/loop0 0")+1 {
		t.Fatalf("first spec's next is %d", first)
	}
	if got := ne.Uint64(specs[first:]); got != 8 {
		t.Errorf("second start %d", got)
	}
	if got := ne.Uint64(specs[first+8:]); got != 16 {
		t.Errorf("second length %d", got)
	}
	if got := string(bytes.TrimRight(specs[first+24:first+40], "\x00")); got != "zero" {
		t.Errorf("second type %q", got)
	}
	if len(specs)%8 != 0 {
		t.Errorf("specs are %d bytes, not 8-aligned", len(specs))
	}
	for _, bad := range []Target{{Length: 1, Type: ""}, {Length: 1, Type: "a-type-name-too-long"}, {Type: "linear"}} {
		if _, err := targetSpecs([]Target{bad}); err == nil {
			t.Errorf("targetSpecs(%+v) succeeded", bad)
		}
	}
}
