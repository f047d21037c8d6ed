package test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// The daemon's own duties, through the real binary: its memory watches, the
// periodic pods limit, the kernel log, the log file and time sync.

// daemonMemoryDir returns the directory of cgroup path in the hierarchy
// carrying the memory controller: the v1 memory hierarchy, else the
// unified one.
func daemonMemoryDir(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.usage_in_bytes"); err == nil {
		return filepath.Join("/sys/fs/cgroup/memory", path)
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return filepath.Join("/sys/fs/cgroup", path)
	}
	t.Skip("no memory cgroup controller")
	return ""
}

// daemonMemoryLimit reads the memory limit of the cgroup directory dir;
// unlimited reads as -1.
func daemonMemoryLimit(t *testing.T, dir string) int64 {
	t.Helper()
	for _, f := range []string{"memory.limit_in_bytes", "memory.max"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return -1
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%s/%s: %v", dir, f, err)
		}
		if v >= 1<<62 { // v1 prints a page-aligned maximum for unlimited
			return -1
		}
		return v
	}
	t.Fatalf("no memory limit file in %s", dir)
	return 0
}

// daemonWaitLog waits until the daemon's log satisfies ok.
func daemonWaitLog(t *testing.T, g *gcsProc, what string, ok func(log string) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok(g.log()) {
		if g.exited() || time.Now().After(deadline) {
			t.Fatalf("gcs log never showed %s:\n%s", what, g.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// daemonStarted starts gcs listening with args on top of the usual ones
// and waits until it answers.
func daemonStarted(t *testing.T, args ...string) *gcsProc {
	t.Helper()
	g, addr := listenGCS(t, args...)
	if _, err := dialGCS(t, addr).Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestDaemonGCSCgroupNotLimited(t *testing.T) {
	parent := testutil.CgroupParent(t)
	daemonStarted(t, "-cgroup-parent", parent, "-gcs-mem-limit-bytes", strconv.Itoa(50<<20))
	if got := daemonMemoryLimit(t, daemonMemoryDir(t, parent+"/gcs")); got != -1 {
		t.Errorf("the gcs cgroup is limited to %d bytes; want no limit (the flag is a threshold)", got)
	}
}

// TestDaemonGCSThresholdLoggedPerCrossing charges the daemon's cgroup past
// its threshold twice: a file written to tmpfs by a process in the cgroup
// stays charged to it until the file is removed, so usage rises and falls
// when the test says.
func TestDaemonGCSThresholdLoggedPerCrossing(t *testing.T) {
	if os.Getenv("GCS_E2E_RACE") != "" {
		t.Skip("the race detector's memory use would cross the threshold by itself")
	}
	const threshold = 128 << 20
	parent := testutil.CgroupParent(t)
	g := daemonStarted(t, "-cgroup-parent", parent, "-gcs-mem-limit-bytes", strconv.Itoa(threshold))
	gcs := daemonMemoryDir(t, parent+"/gcs")
	crossed := "memory usage of the gcs cgroup crossed its threshold"
	fell := "memory usage of the gcs cgroup fell back below its threshold"
	for round := 1; round <= 2; round++ {
		file := filepath.Join("/dev/shm", fmt.Sprintf("gcs-threshold-%d-%d", os.Getpid(), round))
		t.Cleanup(func() { os.Remove(file) })
		fill := exec.Command("sh", "-c", `echo $$ > "$1/cgroup.procs" && exec dd if=/dev/zero of="$2" bs=1M count=192 status=none`, "sh", gcs, file)
		if out, err := fill.CombinedOutput(); err != nil {
			t.Fatalf("charge the gcs cgroup: %v %s", err, out)
		}
		daemonWaitLog(t, g, fmt.Sprintf("crossing %d", round), func(log string) bool {
			return testutil.CountLines(log, crossed, fmt.Sprintf("count=%d", round)) == 1
		})
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		daemonWaitLog(t, g, fmt.Sprintf("fall %d", round), func(log string) bool { return testutil.CountLines(log, fell) == round })
	}
	if n := testutil.CountLines(g.log(), crossed); n != 2 {
		t.Errorf("%d threshold crossings logged for 2:\n%s", n, g.log())
	}
}

// TestDaemonPodsOOMLogged runs a container that allocates past the pods
// cgroup's limit (the 64 MiB floor, with a reserve larger than the
// machine) and finds the OOM kill in the daemon's log.
func TestDaemonPodsOOMLogged(t *testing.T) {
	parent := testutil.CgroupParent(t)
	h := newHostEnv(t, "runc", "-cgroup-parent", parent, "-root-mem-reserve-bytes", strconv.FormatUint(1<<61, 10))
	if got := daemonMemoryLimit(t, daemonMemoryDir(t, parent+"/pods")); got != 64<<20 {
		t.Fatalf("pods memory limit %d; want the 64 MiB floor", got)
	}
	id := h.id("oom")
	if err := h.create(id, specFor("dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1")); err != nil {
		t.Fatal(err)
	}
	pid, err := h.startInit(id, h.listenStdio(false, false, false))
	if err != nil {
		t.Fatal(err)
	}
	if code := h.wait(id, pid); code != 137 {
		t.Errorf("container exited with %d; want 137 (OOM-killed)", code)
	}
	daemonWaitLog(t, h.g, "the OOM", func(log string) bool {
		return testutil.CountLines(log, "out of memory in the pods cgroup", "cgroup="+parent+"/pods") > 0
	})
}

// TestDaemonPodsMemoryRecomputed changes the pods limit behind the
// daemon's back and waits for the periodic recompute to set it again.
func TestDaemonPodsMemoryRecomputed(t *testing.T) {
	parent := testutil.CgroupParent(t)
	daemonStarted(t, "-cgroup-parent", parent, "-pods-mem-interval", "100ms")
	pods := daemonMemoryDir(t, parent+"/pods")
	want := daemonMemoryLimit(t, pods)
	file := "memory.limit_in_bytes"
	if _, err := os.Stat(filepath.Join(pods, file)); err != nil {
		file = "memory.max"
	}
	if err := os.WriteFile(filepath.Join(pods, file), []byte(strconv.FormatInt(want/2, 10)), 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for daemonMemoryLimit(t, pods) != want {
		if time.Now().After(deadline) {
			t.Fatalf("pods memory limit still %d; want %d set again", daemonMemoryLimit(t, pods), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDaemonKmsgForwarded(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to write to /dev/kmsg")
	}
	g := daemonStarted(t, "-kmsgLogLevel", "4")
	tag := fmt.Sprintf("gcs-e2e-kmsg-%d", time.Now().UnixNano())
	// The notice goes first: once the error is in the log, the notice has
	// been read and passed over.
	for _, rec := range []string{"<5>" + tag + "-notice\n", "<3>" + tag + "-error\n"} {
		if err := os.WriteFile("/dev/kmsg", []byte(rec), 0); err != nil {
			t.Fatal(err)
		}
	}
	daemonWaitLog(t, g, "the error record", func(log string) bool { return strings.Contains(log, tag+"-error") })
	if strings.Contains(g.log(), tag+"-notice") {
		t.Errorf("a record above -kmsgLogLevel was forwarded:\n%s", g.log())
	}
}

func TestDaemonLogfileTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gcs.log")
	if err := os.WriteFile(path, []byte("stale line of an earlier boot\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	daemonStarted(t, "-logfile", path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "stale line") || !strings.Contains(string(b), "listening for the host") {
		t.Errorf("log file not emptied and written:\n%s", b)
	}
}

// daemonFakeClock makes a sysfs tree whose PTP clocks have the given names
// (ptp0, ptp1, ... in order) and returns the sys and dev roots.
func daemonFakeClock(t *testing.T, names ...string) (sys, dev string) {
	root := t.TempDir()
	sys, dev = filepath.Join(root, "sys"), filepath.Join(root, "dev")
	for _, d := range []string{sys, dev} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range names {
		dir := filepath.Join(sys, "class", "ptp", fmt.Sprintf("ptp%d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "clock_name"), []byte(name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return sys, dev
}

// daemonFakeChronyd puts a chronyd first in PATH that records its
// arguments, configuration and pid in dir and then sleeps: this machine has
// no Hyper-V clock for a real chronyd to follow.
func daemonFakeChronyd(t *testing.T) (dir string) {
	dir = t.TempDir()
	script := `#!/bin/sh
printf '%s ' "$@" > "` + dir + `/args"
cat "$3" > "` + dir + `/conf"
echo $$ > "` + dir + `/pid"
exec sleep 1000
`
	if err := os.WriteFile(filepath.Join(dir, "chronyd"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	return dir
}

func TestDaemonTimeSync(t *testing.T) {
	tests := []struct {
		name    string
		clocks  []string
		chronyd bool
		flags   []string
		wantLog string
	}{
		{name: "disabled", clocks: []string{"hyperv"}, chronyd: true, flags: []string{"-disable-time-sync"}, wantLog: "time sync disabled"},
		{name: "no clock", chronyd: true, wantLog: "time sync unavailable: no clock to follow"},
		{name: "only a kvm clock", clocks: []string{"KVM virtual PTP"}, chronyd: true, wantLog: "time sync unavailable: no clock to follow"},
		{name: "no chronyd", clocks: []string{"hyperv"}, wantLog: "time sync unavailable: chronyd not found"},
		{name: "hyperv clock", clocks: []string{"KVM virtual PTP", "hyperv"}, chronyd: true, wantLog: "time sync: starting chronyd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys, dev := daemonFakeClock(t, tt.clocks...)
			var fake string
			if tt.chronyd {
				fake = daemonFakeChronyd(t)
			} else {
				t.Setenv("PATH", t.TempDir())
			}
			g := daemonStarted(t, append([]string{"-sys-root", sys, "-dev-root", dev}, tt.flags...)...)
			daemonWaitLog(t, g, tt.wantLog, func(log string) bool { return strings.Contains(log, tt.wantLog) })
			if !strings.HasPrefix(tt.wantLog, "time sync: starting") {
				if fake != "" {
					if _, err := os.Stat(filepath.Join(fake, "args")); err == nil {
						t.Errorf("chronyd started")
					}
				}
				return
			}
			args := daemonWaitFile(t, filepath.Join(fake, "pid"), filepath.Join(fake, "args"))
			root := daemonFlagValue(g, "-root")
			if want := fmt.Sprintf("-n -f %s/chronyd.conf", root); strings.TrimSpace(args) != want {
				t.Errorf("chronyd arguments %q; want %q", args, want)
			}
			conf, _ := os.ReadFile(filepath.Join(fake, "conf"))
			if want := "refclock PHC " + dev + "/ptp1 poll 3 dpoll -2 offset 0 stratum 2\nmakestep 0.1 -1\n"; string(conf) != want {
				t.Errorf("chronyd configuration %q; want %q", conf, want)
			}
			pid, _ := os.ReadFile(filepath.Join(fake, "pid"))
			g.cmd.Process.Signal(os.Interrupt)
			if err := g.wait(t, 30*time.Second); err != nil {
				t.Errorf("gcs: %v", err)
			}
			if _, err := os.Stat("/proc/" + strings.TrimSpace(string(pid))); err == nil {
				t.Errorf("chronyd (pid %s) outlived the daemon", strings.TrimSpace(string(pid)))
			}
		})
	}
}

// daemonWaitFile waits for the file ready to exist and returns the content
// of file.
func daemonWaitFile(t *testing.T, ready, file string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", ready)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// daemonFlagValue returns the value the daemon was started with for flag.
func daemonFlagValue(g *gcsProc, flag string) string {
	args := g.cmd.Args
	v := ""
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			v = args[i+1]
		}
	}
	return v
}

// TestDaemonNetworkAddRefusesMissingAdapter: an adapter that cannot be
// found is refused at Add with E_FAIL and the reference's message, not
// registered to fail the container's Create later.
func TestDaemonNetworkAddRefusesMissingAdapter(t *testing.T) {
	h := newHostEnv(t, "runc", "-device-timeout", "1s")
	missing := &prot.LCOWNetworkAdapter{NamespaceID: "6B1D2E3F-0000-4000-8000-00000000AB09", ID: "Adapter-Missing", MacAddress: "02-00-00-00-00-0a"}
	err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeNetwork, missing)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.HResult != prot.HrFail || !strings.Contains(ce.Message, "failed to find adapter adapter-missing: ") {
		t.Fatalf("Add of an adapter that does not exist: %v; want E_FAIL \"failed to find adapter adapter-missing: ...\"", err)
	}
	// Nothing was registered: the same adapter, once it exists, is added.
	vethPair(t, "02:00:00:00:00:0a")
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeNetwork, missing); err != nil {
		t.Fatalf("Add once the adapter exists: %v", err)
	}
	if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeNetwork, missing); err != nil {
		t.Fatal(err)
	}
}

// TestDaemonLogsNoEnvironmentValues backs the README's word on
// -scrub-logs: even at trace level and with scrubbing off, the environment
// values of a container's init and of an exec never reach the log.
func TestDaemonLogsNoEnvironmentValues(t *testing.T) {
	h := newHostEnv(t, "runc", "-loglevel", "trace", "-scrub-logs=false")
	secret := fmt.Sprintf("s3cret-%d", time.Now().UnixNano())
	id := h.id("env")
	spec := specFor("sleep", "1000")
	spec.Process.Env = append(spec.Process.Env, "GCS_SECRET="+secret)
	if err := h.create(id, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
		t.Fatal(err)
	}
	p := process("sh", "-c", "exit 0")
	p.Env = append(p.Env, "GCS_EXEC_SECRET="+secret)
	pid, err := h.exec(id, p, h.listenStdio(false, false, false))
	if err != nil {
		t.Fatal(err)
	}
	h.wait(id, pid)
	if err := h.c.ShutdownForced(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	h.notification(id)
	if strings.Contains(h.g.log(), secret) {
		t.Errorf("an environment value is in the log:\n%s", h.g.log())
	}
}
