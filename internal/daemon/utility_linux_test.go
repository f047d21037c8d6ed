package daemon

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/cgroup"
	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestUtilityCommandsBornInRuntimeCgroup checks that the commands storage
// runs (mkfs, cryptsetup) start in the runtime cgroup, not the daemon's:
// the command reports its own cgroups from /proc/self/cgroup.
func TestUtilityCommandsBornInRuntimeCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for cgroups")
	}
	parent := testutil.CgroupParent(t)
	cg, err := cgroup.New(cgroup.Options{Parent: parent, Log: testutil.Logger(t)})
	if err != nil {
		t.Fatalf("cgroup.New: %v", err)
	}
	t.Cleanup(func() { cg.Close() })
	rp, err := reaper.New(testutil.Logger(t))
	if err != nil {
		t.Fatalf("reaper.New: %v", err)
	}
	t.Cleanup(func() { rp.Close() })

	out, err := utilityRunner(rp, cg)(exec.Command("cat", "/proc/self/cgroup"))
	if err != nil {
		t.Fatalf("run cat: %v: %s", err, out)
	}
	want := parent + "/runtime"
	var memLine string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// "N:memory:/path" on cgroup v1, "0::/path" on a pure cgroup2 machine.
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if strings.Contains(","+parts[1]+",", ",memory,") || (cg.Mode() == "v2" && parts[0] == "0") {
			memLine = line
		}
	}
	if memLine == "" {
		t.Fatalf("no memory cgroup line in:\n%s", out)
	}
	if !strings.HasSuffix(memLine, ":"+want) {
		t.Fatalf("utility command ran in %q, want the runtime cgroup %s", memLine, want)
	}
}
