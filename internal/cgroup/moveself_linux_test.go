package cgroup

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// moveSelfEnv makes the test binary act as a daemon that moves itself into
// gcs under the parent named by the variable, then out again on Close.
const moveSelfEnv = "GCS_CGROUP_TEST_MOVESELF_PARENT"

// moveSelfReport is what the child prints: its cgroups in gcs and after.
type moveSelfReport struct {
	In, Out map[string]string
	Err     string
}

func TestMain(m *testing.M) {
	if parent := os.Getenv(moveSelfEnv); parent != "" {
		os.Exit(moveSelfChild(parent))
	}
	os.Exit(m.Run())
}

// moveSelfChild runs in the child process.
func moveSelfChild(parent string) int {
	var r moveSelfReport
	defer func() { _ = json.NewEncoder(os.Stdout).Encode(r) }()
	mgr, err := New(Options{Parent: parent, MoveSelf: true, GCSMemoryThreshold: 512 << 20})
	if err != nil {
		r.Err = err.Error()
		return 1
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

// ownCgroups maps each mount point to the calling process's cgroup there.
func ownCgroups(l *layout) (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseProcCgroup(f, l)
}

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
	for _, mnt := range owned {
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
