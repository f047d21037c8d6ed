package hcsv2

import (
	"reflect"
	"testing"
)

func TestSplitCommandLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: "", want: nil},
		{in: "  sleep   100 ", want: []string{"sleep", "100"}},
		{in: `sh -c "echo hi; exit 3"`, want: []string{"sh", "-c", "echo hi; exit 3"}},
		{in: `echo 'a "b" c' d`, want: []string{"echo", `a "b" c`, "d"}},
		{in: `echo a\ b "x\"y" "\n"`, want: []string{"echo", "a b", `x"y`, `\n`}},
		{in: `echo '' ""`, want: []string{"echo", "", ""}},
		{in: `echo $HOME`, want: []string{"echo", "$HOME"}},
		{in: `echo "unterminated`, bad: true},
		{in: `echo trailing\`, bad: true},
	} {
		got, err := splitCommandLine(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: accepted as %q", tc.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestValidateID(t *testing.T) {
	for id, ok := range map[string]bool{
		"3f1c6a7e9b2d4c5f8a1e0b3d6c9f2a5e8b1d4c7f0a3e6b9d2c5f8a1e4b7d0c3f": true,
		"my_container-1.2+x":      true,
		"":                        false,
		".":                       false,
		"..":                      false,
		"a/b":                     false,
		"../etc":                  false,
		"a b":                     false,
		"ümlaut":                  false,
		string(make([]byte, 200)): false,
	} {
		if err := validateID(id); (err == nil) != ok {
			t.Errorf("validateID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}
