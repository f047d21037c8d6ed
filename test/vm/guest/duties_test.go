package guest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/linux-gcs/gcs/internal/timesync"
)

// dutiesGCS is a second GCS the test starts for itself, listening on a
// unix socket with a cgroup subtree of its own, so that its log can be
// read: the image's GCS logs to a serial port.
type dutiesGCS struct {
	cmd    *exec.Cmd
	log    *testutil.LogBuffer
	c      *client.Client
	dir    string
	parent string
}

func startDutiesGCS(t *testing.T, args ...string) *dutiesGCS {
	t.Helper()
	g := &dutiesGCS{log: &testutil.LogBuffer{}, dir: t.TempDir(), parent: fmt.Sprintf("/gcs-duties-%d", time.Now().UnixNano())}
	addr := "unix://" + filepath.Join(g.dir, "bridge.sock")
	g.cmd = exec.Command("/usr/bin/gcs", append([]string{"-v4", "-loglevel", "debug", "-listen", "-bridge", addr,
		"-relay", "unix://" + filepath.Join(g.dir, "relay"), "-root", filepath.Join(g.dir, "root"),
		"-runtime", "runc", "-cgroup-parent", g.parent, "-shutdown-action", "exit"}, args...)...)
	g.cmd.Stderr = g.log
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.cmd.Process.Signal(syscall.SIGTERM)
		g.cmd.Wait()
		if t.Failed() {
			t.Logf("second gcs log:\n%s", g.log.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		c, err := client.Dial(ctx, addr)
		if err == nil {
			g.c = c
			t.Cleanup(func() { c.Close() })
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("connect to the second gcs: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := g.c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return g
}

// busyboxRoot has the second GCS mount a busybox layer as container id's
// rootfs (bundle/rootfs, its bundle returned; the scratch where a
// confidential VM wants it, bundle/scratch/id) and, after the test (the
// container has exited), unmount it and then delete the container's state,
// the order a confidential GCS accepts.
func (g *dutiesGCS) busyboxRoot(t *testing.T, id string) string {
	bundle := filepath.Join(g.dir, "root", "c", id)
	layers := &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeCombinedLayers,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWCombinedLayers{
			ContainerID:       id,
			ContainerRootPath: filepath.Join(bundle, "rootfs"),
			// Layers must be inside the GCS's roots, as the host's are.
			Layers:      []prot.Layer{{Path: testutil.BusyboxRootfsAt(t, filepath.Join(g.dir, "root", "layers", "busybox"))}},
			ScratchPath: filepath.Join(bundle, "scratch", id),
		},
	}
	if err := g.c.ModifySettings(testCtx(t), prot.NullContainerID, layers); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		layers.RequestType = prot.RequestTypeRemove
		g.c.ModifySettings(context.Background(), prot.NullContainerID, layers)
		g.c.DeleteContainerState(context.Background(), id)
	})
	return bundle
}

// TestDaemonDuties checks in a real VM (cgroup v2, where /gcs has no
// threshold event and is polled) what the host tests check with v1: the
// threshold of /gcs, an OOM kill under /pods, the kernel log and the time
// sync decision.
func TestDaemonDuties(t *testing.T) {
	if os.Getenv(envInVM) != "1" {
		t.Skip("runs in the test VM")
	}
	g := startDutiesGCS(t, "-gcs-mem-limit-bytes", strconv.Itoa(48<<20), "-kmsgLogLevel", "4")

	t.Run("time sync decision", func(t *testing.T) {
		clock, err := timesync.FindClock("/sys", "/dev")
		want := "time sync: starting chronyd"
		if errors.Is(err, timesync.ErrNoClock) {
			want = "time sync unavailable: no clock to follow"
		}
		t.Logf("clock %q, %v", clock, err)
		g.log.WaitCount(t, 1, want)
	})

	t.Run("kernel log", func(t *testing.T) {
		tag := fmt.Sprintf("gcs-vm-kmsg-%d", time.Now().UnixNano())
		for _, rec := range []string{"<6>" + tag + "-info\n", "<3>" + tag + "-err\n"} {
			if err := os.WriteFile("/dev/kmsg", []byte(rec), 0); err != nil {
				t.Fatal(err)
			}
		}
		g.log.WaitCount(t, 1, "kernel log", tag+"-err")
		if n := g.log.Count(tag + "-info"); n != 0 {
			t.Errorf("a record above -kmsgLogLevel was forwarded")
		}
	})

	t.Run("gcs threshold", func(t *testing.T) {
		file := filepath.Join("/dev/shm", fmt.Sprintf("gcs-duties-%d", time.Now().UnixNano()))
		t.Cleanup(func() { os.Remove(file) })
		procs := filepath.Join("/sys/fs/cgroup", g.parent, "gcs", "cgroup.procs")
		fill := exec.Command("sh", "-c", `echo $$ > "$1" && exec dd if=/dev/zero of="$2" bs=1M count=96`, "sh", procs, file)
		if out, err := fill.CombinedOutput(); err != nil {
			t.Fatalf("charge the gcs cgroup: %v %s", err, out)
		}
		g.log.WaitCount(t, 1, "memory usage of the gcs cgroup crossed its threshold", "count=1")
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		g.log.WaitCount(t, 1, "memory usage of the gcs cgroup fell back below its threshold")
	})

	t.Run("container OOM", func(t *testing.T) {
		id := fmt.Sprintf("oom-%d", time.Now().UnixNano())
		bundle := g.busyboxRoot(t, id)
		spec := specFor("dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1")
		spec.Root = &oci.Root{Path: filepath.Join(bundle, "rootfs")}
		limit := int64(32 << 20)
		spec.Linux.Resources = &oci.LinuxResources{Memory: &oci.LinuxMemory{Limit: &limit}}
		if err := g.c.CreateContainer(testCtx(t), id, &prot.VMHostedContainerSettingsV2{
			SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: bundle, OCISpecification: spec,
		}); err != nil {
			t.Fatal(err)
		}
		if err := g.c.Start(testCtx(t), id); err != nil {
			t.Fatal(err)
		}
		pid, err := g.c.ExecuteProcess(testCtx(t), id, &prot.ProcessParameters{}, prot.ExecuteProcessVsockStdioRelaySettings{})
		if err != nil {
			t.Fatal(err)
		}
		code, err := g.c.WaitForProcess(testCtx(t), id, pid, -1)
		if err != nil || code != 137 {
			t.Errorf("container exited with %d, %v; want 137 (OOM-killed)", code, err)
		}
		// v2's memory.events is hierarchical: the container's own limit
		// counts in /pods.
		g.log.WaitCount(t, 1, "out of memory in the pods cgroup", "cgroup="+g.parent+"/pods")
	})
}
