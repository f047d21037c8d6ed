package framework

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/format"
)

// TestRegoFormatted wants every Rego file as "opa fmt" writes it.
func TestRegoFormatted(t *testing.T) {
	files, err := filepath.Glob("*.rego")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("%d Rego files found", len(files))
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := format.Source(name, src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(out) != string(src) {
			t.Errorf("%s is not formatted as opa fmt formats it", name)
		}
	}
}
