package main

import (
	"reflect"
	"testing"
)

func TestExpandShortFlags(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"combined", []string{"-it", "c1", "sh"}, []string{"-i", "-t", "c1", "sh"}},
		{"three", []string{"-dit"}, []string{"-d", "-i", "-t"}},
		{"after a value flag", []string{"-e", "-it", "-ti"}, []string{"-e", "-it", "-t", "-i"}},
		{"not after the first argument", []string{"c1", "-it"}, []string{"c1", "-it"}},
		{"not after --", []string{"--", "-it"}, []string{"--", "-it"}},
		{"a known long flag", []string{"-rm", "-it"}, []string{"-rm", "-i", "-t"}},
		{"a value letter is no bool", []string{"-ie"}, []string{"-ie"}},
		{"unknown letters", []string{"-ix"}, []string{"-ix"}},
		{"double dash", []string{"--it"}, []string{"--it"}},
		{"flag=value", []string{"-e=A=1", "-it"}, []string{"-e=A=1", "-i", "-t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet("test")
			fs.Bool("i", false, "")
			fs.Bool("t", false, "")
			fs.Bool("d", false, "")
			fs.Bool("rm", false, "")
			fs.String("e", "", "")
			if got := expandShortFlags(fs, tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("expandShortFlags(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
