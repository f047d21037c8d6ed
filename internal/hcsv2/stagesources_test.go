package hcsv2

import (
	"os"
	"path/filepath"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// A staging an earlier create of the same workload left behind (its
// unstage failed to unmount) does not stop the next create from staging:
// the leftovers are unmounted and removed first.
func TestStageSharedSourcesClearsLeftovers(t *testing.T) {
	podRoot := t.TempDir()
	src := filepath.Join(podRoot, sandboxMountsDir, "data")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := func() *oci.Spec {
		return &oci.Spec{Mounts: []oci.Mount{{Destination: "/data", Type: "bind", Source: src, Options: []string{"rbind"}}}}
	}
	if _, err := stageSharedSources(spec(), podRoot, "w1"); err != nil { // left staged
		t.Fatal(err)
	}
	s, err := stageSharedSources(spec(), podRoot, "w1")
	if err != nil {
		t.Fatalf("staging again over what an earlier create left: %v", err)
	}
	if err := s.unstage(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(podRoot, stagingDir, "w1")); err == nil {
		t.Errorf("staging left after unstage")
	}
}
