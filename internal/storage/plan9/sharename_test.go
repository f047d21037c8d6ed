package plan9

import "testing"

func TestValidateShareName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"0", true},
		{"1234567890", true},
		{"007", true},
		{"", false},
		{"share", false},
		{"12a", false},
		{"-1", false},
		{"+1", false},
		{" 7", false},
		{"7\n", false},
		{"1,trans=fd", false},
		{"1\x00", false},
		{"../1", false},
		{"\u0663", false}, // ARABIC-INDIC DIGIT THREE: a digit, not a decimal ASCII one
		{"\uff11", false}, // FULLWIDTH DIGIT ONE
	} {
		err := ValidateShareName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateShareName(%q) = %v, want ok=%t", tc.name, err, tc.ok)
		}
	}
}
