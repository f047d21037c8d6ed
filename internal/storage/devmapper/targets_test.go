package devmapper

import (
	"strings"
	"testing"
)

func TestTargets(t *testing.T) {
	for _, tc := range []struct {
		name    string
		target  interface{ Target() (Target, error) }
		want    Target
		wantErr string
	}{
		{"linear", Linear{Device: "/dev/loop0", Offset: 1 << 20, Length: 64 << 10},
			Target{Length: 128, Type: "linear", Params: "/dev/loop0 2048"}, ""},
		{"linear unaligned", Linear{Device: "/dev/loop0", Offset: 100, Length: 4096}, Target{}, "multiples"},
		{"linear empty", Linear{Device: "/dev/loop0"}, Target{}, "multiples"},
		{"linear space in device", Linear{Device: "/dev/a b", Length: 512}, Target{}, "white space"},
		{"verity defaults", Verity{DataDevice: "/dev/pmem0", HashDevice: "/dev/pmem0", DataBlocks: 4096, HashOffset: 16 << 20, RootDigest: "abcd"},
			Target{Length: 32768, Type: "verity", Params: "1 /dev/pmem0 /dev/pmem0 4096 4096 4096 4096 sha256 abcd -"}, ""},
		{"verity salt and sizes", Verity{DataDevice: "8:0", HashDevice: "8:16", DataBlockSize: 1024, HashBlockSize: 4096, DataBlocks: 8, Algorithm: "sha512", RootDigest: "00", Salt: "ff"},
			Target{Length: 16, Type: "verity", Params: "1 8:0 8:16 1024 4096 8 0 sha512 00 ff"}, ""},
		{"verity bad digest", Verity{DataDevice: "a", HashDevice: "a", DataBlocks: 1, RootDigest: "xyz"}, Target{}, "hexadecimal"},
		{"verity no digest", Verity{DataDevice: "a", HashDevice: "a", DataBlocks: 1}, Target{}, "hexadecimal"},
		{"verity bad salt", Verity{DataDevice: "a", HashDevice: "a", DataBlocks: 1, RootDigest: "00", Salt: "q"}, Target{}, "salt"},
		{"verity unaligned hash", Verity{DataDevice: "a", HashDevice: "a", DataBlocks: 1, RootDigest: "00", HashOffset: 10}, Target{}, "multiple"},
		{"verity block size", Verity{DataDevice: "a", HashDevice: "a", DataBlocks: 1, RootDigest: "00", DataBlockSize: 1000}, Target{}, "power of two"},
		{"verity block size too large", Verity{DataDevice: "a", HashDevice: "a", DataBlocks: 1, RootDigest: "00", DataBlockSize: 1 << 30}, Target{}, "at most"},
		{"verity no blocks", Verity{DataDevice: "a", HashDevice: "a", RootDigest: "00"}, Target{}, "no data blocks"},
		// DataBlocks*DataBlockSize would wrap around to a table of 8 or 0
		// sectors.
		{"verity blocks wrapping", Verity{DataDevice: "a", HashDevice: "a", DataBlocks: 1<<52 + 1, RootDigest: "00"}, Target{}, "too many"},
		{"verity blocks wrapping to 0", Verity{DataDevice: "a", HashDevice: "a", DataBlockSize: 512, DataBlocks: 1 << 55, RootDigest: "00"}, Target{}, "too many"},
		{"verity most blocks", Verity{DataDevice: "a", HashDevice: "a", DataBlocks: 1<<52 - 1, RootDigest: "00"},
			Target{Length: (1<<52 - 1) * 8, Type: "verity", Params: "1 a a 4096 4096 4503599627370495 0 sha256 00 -"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.target.Target()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"pmem0-linear-4096", true},
		{"crypt-0123abcd", true},
		{"", false},
		{"control", false},
		{"..", false},
		{"a/b", false},
		{"a b", false},
		{strings.Repeat("x", MaxNameLen), true},
		{strings.Repeat("x", MaxNameLen+1), false},
	} {
		if err := checkName(tc.name); (err == nil) != tc.ok {
			t.Errorf("checkName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
