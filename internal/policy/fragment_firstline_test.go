package policy

import (
	"strings"
	"testing"
)

// A fragment's first line is the host's to fill (up to the bridge's
// message size): an error about it quotes a bounded part, never the
// whole line, into the log, the .deny file and the reply.
func TestFragmentNamespaceErrorBounded(t *testing.T) {
	tests := []struct {
		name, rego string
	}{
		{"huge first line", strings.Repeat("x", 1<<20) + "\npackage ok\n"},
		{"huge package name", "package " + strings.Repeat("a", 1<<20) + "-\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fragmentNamespace(tt.rego)
			if err == nil {
				t.Fatal("no error")
			}
			if n := len(err.Error()); n > 512 {
				t.Errorf("error is %d bytes long", n)
			}
		})
	}
}
