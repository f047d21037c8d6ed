package hcsv2

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// Unified resources are written by the runtime as files of the
// container's cgroup: a Create or an UpdateContainer carrying a core file
// that moves processes, kills, freezes or reshapes is refused (invalid
// argument) before the runtime runs; limits pass.
func TestUnifiedResourcesOnlyLimits(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"memory.high", true},
		{"pids.max", true},
		{"cgroup.max.depth", true},
		{"cgroup.procs", false},
		{"cgroup.threads", false},
		{"cgroup.kill", false},
		{"cgroup.freeze", false},
		{"cgroup.subtree_control", false},
		{"cgroup.type", false},
		{"../../cgroup.procs", false},
		{"", false},
	}
	fh := newFuzzHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.key), func(t *testing.T) {
			res := &oci.LinuxResources{Unified: map[string]string{tt.key: "1"}}
			id := fmt.Sprintf("unified%d", i)
			bundle := filepath.Join(fh.state, "c", id)
			if err := os.MkdirAll(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
				t.Fatal(err)
			}
			spec := testutil.Spec(filepath.Join(bundle, "rootfs"), "true")
			spec.Linux.Resources = res
			err := fh.host.CreateContainer(ctx, id, "", &prot.VMHostedContainerSettingsV2{
				SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: bundle, OCISpecification: spec,
			})
			if tt.ok != (err == nil) || (err != nil && prot.HResultOf(err) != prot.HrInvalidArg) {
				t.Fatalf("Create with unified %q = %v; want ok %v or invalid argument", tt.key, err, tt.ok)
			}
			if err != nil {
				return
			}
			c, err := fh.host.container(id)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.deleteState(context.Background()) })
			for _, bad := range []string{"cgroup.procs", "cgroup.kill"} {
				cc := &prot.LCOWContainerConstraints{Linux: oci.LinuxResources{Unified: map[string]string{bad: "1"}}}
				if err := c.updateConstraints(ctx, cc); prot.HResultOf(err) != prot.HrInvalidArg {
					t.Errorf("UpdateContainer with unified %q = %v; want invalid argument", bad, err)
				}
			}
		})
	}
}
