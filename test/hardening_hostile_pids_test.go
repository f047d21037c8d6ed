package test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// forkBomb is a fork bomb that keeps its population: it spawns sleepers
// until forks fail, and goes on trying.
const forkBomb = "sh -c 'f(){ while :; do f & sleep 0.05; done; }; f' 2>/dev/null & exec sleep 1000"

// pidsMount returns the mount of the pids controller: the v1 pids
// hierarchy, or the unified cgroup2 one of a v2-only machine.
func pidsMount(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/sys/fs/cgroup/pids/cgroup.procs"); err == nil {
		return "/sys/fs/cgroup/pids"
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return "/sys/fs/cgroup"
	}
	t.Skip("needs a pids controller")
	return ""
}

// readPidsFile reads a count of a pids cgroup file ("max" reads as -1).
func readPidsFile(t *testing.T, file string) int64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return -1
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return v
}

// setPidsMax writes pids.max of the cgroup dir, and registers putting
// back what it held.
func setPidsMax(t *testing.T, dir, value string) {
	t.Helper()
	file := filepath.Join(dir, "pids.max")
	old, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	if err := os.WriteFile(file, []byte(value), 0o644); err != nil {
		t.Fatalf("limit %s: %v", file, err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(file, old, 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("restore %s: %v", file, err)
		}
	})
}

// taskLimitedParent makes a cgroup in the pids hierarchy mnt holding at
// most tasks tasks, to stand for the task limit of a utility VM, and
// returns the cgroup path for a daemon's -cgroup-parent below it. It is
// made before the daemon, as a VM's limit is set before the GCS starts.
// Registered before the daemon's own clean-up, its clean-up runs after
// it: it lifts the limit and kills whatever is still in the subtree (only
// what the test started can be there), even when the test failed.
func taskLimitedParent(t *testing.T, mnt string, tasks int) string {
	t.Helper()
	top := testutil.CgroupParent(t)
	dir := filepath.Join(mnt, top)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("make cgroup %s: %v", dir, err)
	}
	setPidsMax(t, dir, strconv.Itoa(tasks))
	t.Cleanup(func() { killSubtree(t, dir) })
	return top + "/gcs"
}

// killSubtree SIGKILLs every process in the cgroup tree at dir until none
// is left, at most 10 s.
func killSubtree(t *testing.T, dir string) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var pids []int
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			b, _ := os.ReadFile(p)
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					pids = append(pids, pid)
				}
			}
			return nil
		})
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("processes left in %s: %v", dir, pids)
			return
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A fork bomb in a container the host gave no pids limit. A utility VM has
// a finite number of tasks (pid_max, 32768 on a small VM, threads
// included); here the cgroup above the daemon's (daemon, runtime and
// containers) is given 600 tasks to stand for that total, since a real
// exhaustion would hurt the machine the tests share. The bomb must hit
// the daemon's default limit on pods, below that total, so that the
// daemon keeps the forks it needs: other containers stay served, and the
// host can stop the bomb. Before that limit existed the bomb took every
// task: execs failed with EAGAIN, and so did the forced shutdown, whose
// runtime kill could not be started.
func TestHostileForkBombUnlimited(t *testing.T) {
	mnt := pidsMount(t)
	forEachRuntime(t, func(t *testing.T, rt string) {
		parent := taskLimitedParent(t, mnt, 600)
		h := newHostEnv(t, rt, "-cgroup-parent", parent)
		h.cgroup = parent
		pods := filepath.Join(mnt, parent, "pods")
		podsMax := readPidsFile(t, filepath.Join(pods, "pids.max"))
		if podsMax < 0 || podsMax >= 600 {
			t.Errorf("pods pids.max %d: want a limit below the 600 tasks above the daemon", podsMax)
		}
		other, _ := startRunning(t, h, "calm", specFor("sleep", "1000"))
		id, ipid := startRunning(t, h, "bomb", specFor("sh", "-c", forkBomb))
		// Until the bomb has taken all it may (or 10 s).
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if podsMax > 0 && readPidsFile(t, filepath.Join(pods, "pids.current")) >= podsMax-5 {
				break
			}
		}
		t.Logf("tasks: pods %d of %d, daemon's subtree %d of 600", readPidsFile(t, filepath.Join(pods, "pids.current")),
			podsMax, readPidsFile(t, filepath.Join(mnt, parent, "..", "pids.current")))
		probePrompt(t, h, other, 10*time.Second)
		answersWithin(t, "forced shutdown of the bomb", 15*time.Second, func() error { return h.c.ShutdownForced(testCtx(t), id) })
		answersWithin(t, "wait for the bomb's init", 15*time.Second, func() error {
			_, err := h.c.WaitForProcess(testCtx(t), id, ipid, -1)
			return err
		})
		if n := h.notification(id); n.Type != prot.NtForcedExit {
			t.Errorf("bomb's notification %s, want %s", n.Type, prot.NtForcedExit)
		}
	})
}

// A forced shutdown when the runtime's kill fails (it may not even start,
// as when a container has taken every task of the VM and the fork fails
// with EAGAIN): the daemon kills the container through its cgroup, which
// needs no fork, and the exit is notified as forced. Before, the shutdown
// failed and the container ran on. The runtime here is a wrapper that
// refuses every kill and passes the rest to runc or crun: starving the
// runtime's cgroup of tasks instead would starve the daemon too where
// both share it (cgroup v1), and a daemon that cannot make a thread dies.
func TestHostileForcedShutdownWithoutRuntimeFork(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		real, err := exec.LookPath(rt)
		if err != nil {
			t.Fatal(err)
		}
		wrapper := filepath.Join(t.TempDir(), filepath.Base(rt)+"-no-kill")
		script := "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = kill ] && { echo 'kill refused by the test' >&2; exit 1; }; done\nexec " + real + " \"$@\"\n"
		if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		h := newHostEnv(t, wrapper)
		id, ipid := startRunning(t, h, "nofork", specFor("sh", "-c", "sleep 1000 & sleep 1000 & exec sleep 1000"))
		answersWithin(t, "forced shutdown without the runtime's kill", 15*time.Second, func() error {
			return h.c.ShutdownForced(testCtx(t), id)
		})
		answersWithin(t, "wait for the init", 15*time.Second, func() error {
			_, err := h.c.WaitForProcess(testCtx(t), id, ipid, -1)
			return err
		})
		if n := h.notification(id); n.Type != prot.NtForcedExit {
			t.Errorf("notification %s, want %s", n.Type, prot.NtForcedExit)
		}
	})
}

// A fork bomb inside the container's pids limit: the daemon and other
// containers stay prompt, and a forced shutdown and delete clean it all up.
func TestHostileForkBombLimited(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		other, _ := startRunning(t, h, "calm", specFor("sleep", "1000"))
		spec := specFor("sleep", "1000")
		limit := int64(200)
		spec.Linux.Resources.Pids = &oci.LinuxPids{Limit: &limit}
		id, ipid := startRunning(t, h, "bomb", spec)
		pid, err := h.exec(id, process("sh", "-c", "f(){ f|f & }; f; exit 0"), h.listenStdio(false, false, false))
		if err != nil {
			t.Fatal(err)
		}
		h.wait(id, pid)
		for i := 0; i < 3; i++ {
			time.Sleep(time.Second)
			probePrompt(t, h, other, 30*time.Second)
			answersWithin(t, "properties of the bomb", 30*time.Second, func() error {
				props, err := h.c.GetProperties(testCtx(t), id, prot.PtProcessList, prot.PtStatistics)
				if err == nil {
					t.Logf("bomb has %d processes", len(props.ProcessList))
				}
				return err
			})
		}
		answersWithin(t, "forced shutdown of the bomb", 30*time.Second, func() error { return h.c.ShutdownForced(testCtx(t), id) })
		answersWithin(t, "wait for the bomb's init", 30*time.Second, func() error {
			_, err := h.c.WaitForProcess(testCtx(t), id, ipid, -1)
			return err
		})
		answersWithin(t, "delete the bomb", 30*time.Second, func() error {
			deadline := time.Now().Add(25 * time.Second)
			for {
				err := h.c.DeleteContainerState(testCtx(t), id)
				if err == nil || time.Now().After(deadline) {
					return err
				}
				t.Logf("delete: %v", err)
				time.Sleep(500 * time.Millisecond)
			}
		})
		if _, err := h.c.GetProperties(testCtx(t), id, prot.PtProcessList); client.HResult(err) != prot.HrVmcomputeSystemNotFound {
			t.Errorf("after delete: %v", err)
		}
	})
}

var _ = io.Discard
var _ = fmt.Sprint
