package hcsv2

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestValidHostnameIsPattern checks the hand-written check against the
// pattern it stands for, on edge cases and random strings.
func TestValidHostnameIsPattern(t *testing.T) {
	re := regexp.MustCompile(hostnamePattern)
	cases := []string{"", "a", "web-1.example_x", strings.Repeat("a", 255), strings.Repeat("a", 256),
		"a b", "a\n", "\na", "é", "a/b", "a:b", "-", ".", "_", "A9", "a$", "^a", "a\x00"}
	alphabet := []byte("aZ09_-.-/ \n\x00\xc3\xa9$^*")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		b := make([]byte, rng.IntN(8))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, h := range cases {
		if got, want := validHostname(h), re.MatchString(h); got != want {
			t.Errorf("validHostname(%q) = %v, the pattern says %v", h, got, want)
		}
	}
}
