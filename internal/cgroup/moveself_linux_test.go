package cgroup

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// moveSelfEnv makes the test binary act as a daemon that moves itself into
// gcs under the parent named by the variable, then out again on Close.
const moveSelfEnv = "GCS_CGROUP_TEST_MOVESELF_PARENT"

// moveSelfReport is what the child prints: the cgroups of a process it
// spawned right after New, its own in gcs and after Close.
type moveSelfReport struct {
	Spawned, In, Out map[string]string
	Err              string
}

func TestMain(m *testing.M) {
	if parent := os.Getenv(moveSelfEnv); parent != "" {
		os.Exit(moveSelfChild(parent))
	}
	os.Exit(m.Run())
}

// moveSelfChild runs in the child process. It keeps its thread, so that
// the spawner's, which lives in another cgroup, is never the one it reads.
func moveSelfChild(parent string) int {
	runtime.LockOSThread()
	var r moveSelfReport
	defer func() { _ = json.NewEncoder(os.Stdout).Encode(r) }()
	mgr, err := New(Options{Parent: parent, MoveSelf: true, GCSMemoryThreshold: 512 << 20})
	if err != nil {
		r.Err = err.Error()
		return 1
	}
	// At once, before the move has ended (New does not wait for it).
	if r.Spawned, err = spawnedCgroups(mgr); err != nil {
		r.Err = err.Error()
	}
	if err := mgr.Ready(); err != nil {
		r.Err = err.Error()
	}
	if r.In, err = ownCgroups(mgr.sys.l); err != nil {
		r.Err = err.Error()
	}
	if err := mgr.Close(); err != nil {
		r.Err = fmt.Sprintf("Close: %v", err)
		return 1
	}
	if r.Out, err = ownCgroups(mgr.sys.l); err != nil {
		r.Err = err.Error()
	}
	return 0
}

// spawnedCgroups spawns a sleep in the runtime cgroup and returns its
// cgroups.
func spawnedCgroups(m *Manager) (map[string]string, error) {
	cmd := exec.Command("sleep", "60")
	err := m.SpawnInRuntimeCgroup(cmd, func() (int, error) {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	if err != nil {
		return nil, fmt.Errorf("spawn sleep: %w", err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", cmd.Process.Pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseProcCgroup(f, m.sys.l)
}

// ownCgroups maps each mount point to the calling thread's cgroup there.
func ownCgroups(l *layout) (map[string]string, error) {
	f, err := os.Open("/proc/thread-self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseProcCgroup(f, l)
}

// TestMoveSelf: the daemon moves into gcs (in the background), a process
// it spawns at once is born in runtime all the same, and Close takes the
// daemon back to where it was.
func TestMoveSelf(t *testing.T) {
	l := requireCgroups(t)
	parent := testParent(t, l)
	before, err := ownCgroups(l)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), moveSelfEnv+"="+parent)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	var r moveSelfReport
	if jerr := json.Unmarshal(out, &r); jerr != nil {
		t.Fatalf("child: %v, output %q (%v)", err, out, jerr)
	}
	if err != nil || r.Err != "" {
		t.Fatalf("child: %v: %s", err, r.Err)
	}
	owned := []string{l.unified}
	if !l.v2 {
		owned = owned[:0]
		for _, h := range l.v1 {
			owned = append(owned, h.mount)
		}
	}
	memory := l.unified
	if h, ok := l.controller("memory"); ok && !l.v2 {
		memory = h.mount
	}
	for _, mnt := range owned {
		// Born in runtime where the memory is charged, elsewhere where
		// the daemon was when it forked: in gcs, the spawn having waited
		// for the move.
		want := parent + "/gcs"
		if mnt == memory {
			want = parent + "/runtime"
		}
		if got := r.Spawned[mnt]; got != want {
			t.Errorf("in %s a process spawned right after New was in %q, want %q", mnt, got, want)
		}
		if got, want := r.In[mnt], parent+"/gcs"; got != want {
			t.Errorf("in %s the daemon was in %q, want %q", mnt, got, want)
		}
		if got, want := r.Out[mnt], before[mnt]; got != want {
			t.Errorf("in %s the daemon went back to %q, want %q", mnt, got, want)
		}
		if exists(filepath.Join(mnt, parent)) {
			t.Errorf("%s left behind", filepath.Join(mnt, parent))
		}
	}
	if len(r.In) == 0 || !strings.HasPrefix(r.In[owned[0]], parent) {
		t.Errorf("child reported %v", r.In)
	}
}
