package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
)

func TestCreatePodAppliesSandboxResources(t *testing.T) {
	m, l := newTestManager(t, Options{})
	limit := int64(96 << 20)
	shares := uint64(512)
	quota, period := int64(50000), uint64(100000)
	pids := int64(77)
	res := &oci.LinuxResources{
		Memory: &oci.LinuxMemory{Limit: &limit},
		CPU:    &oci.LinuxCPU{Shares: &shares, Quota: &quota, Period: &period},
		Pids:   &oci.LinuxPids{Limit: &pids},
	}
	p, err := m.CreatePod("sb1", res)
	if err != nil {
		t.Fatal(err)
	}
	if want := m.podsPath() + "/sb1"; p != want {
		t.Errorf("CreatePod path = %s, want %s", p, want)
	}
	if got := memoryLimit(t, m, p); got != pageDown(limit) {
		t.Errorf("pod memory limit = %d, want %d", got, pageDown(limit))
	}
	read := func(controller, v1File, v2File string) string {
		t.Helper()
		file := filepath.Join(l.unified, p, v2File)
		if !l.v2 {
			h, ok := l.controller(controller)
			if !ok {
				return "skip"
			}
			file = filepath.Join(h.mount, p, v1File)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	checks := []struct{ controller, v1File, v2File, want1, want2 string }{
		{"pids", "pids.max", "pids.max", "77", "77"},
		{"cpu", "cpu.shares", "cpu.weight", "512", "20"},
		{"cpu", "cpu.cfs_quota_us", "cpu.max", "50000", "50000 100000"},
	}
	for _, c := range checks {
		want := c.want1
		if l.v2 {
			want = c.want2
		}
		if got := read(c.controller, c.v1File, c.v2File); got != want && got != "skip" {
			t.Errorf("%s/%s = %q, want %q", c.v1File, c.v2File, got, want)
		}
	}
	if _, err := m.CreatePod("sb1", nil); err == nil {
		t.Error("a second CreatePod of the same sandbox succeeded")
	}
	makeCgroup(t, m, m.PodContainerPath("sb1", "w1"))
	if err := m.Remove(p); err != nil {
		t.Fatal(err)
	}
	for _, mnt := range l.mounts() {
		if exists(filepath.Join(mnt, p)) {
			t.Errorf("%s left behind", filepath.Join(mnt, p))
		}
	}
}

// A CreatePod that fails on an existing cgroup (a sandbox whose virtual
// pod id names a standalone container, whose cgroup is <parent>/pods/<id>
// too) used to "undo" by removing that cgroup tree, which it had not made.
// It removes only the directories it made itself.
func TestCreatePodFailureKeepsWhatItDidNotMake(t *testing.T) {
	tests := []struct {
		name  string
		child bool // the existing cgroup has a child cgroup
		last  bool // it exists in the last owned hierarchy only
	}{
		{name: "empty container cgroup"},
		{name: "container cgroup with a child", child: true},
		{name: "in one hierarchy only", last: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestManager(t, Options{})
			p := m.ContainerPath("standalone")
			mounts := m.ownedMounts()
			var kept []string
			if tt.last {
				mnt := mounts[len(mounts)-1]
				makeMirror(t, mnt, p)
				kept = []string{filepath.Join(mnt, p)}
			} else {
				kept = makeCgroup(t, m, p)
			}
			if tt.child {
				kept = append(kept, makeCgroup(t, m, p+"/made-by-the-container")...)
			}
			_, err := m.CreatePod("standalone", nil)
			if err == nil {
				t.Fatal("CreatePod over an existing cgroup succeeded")
			}
			t.Logf("CreatePod: %v", err)
			for _, dir := range kept {
				if !exists(dir) {
					t.Errorf("failed CreatePod removed %s, which it did not make", dir)
				}
			}
			for _, mnt := range mounts[:len(mounts)-1] {
				if dir := filepath.Join(mnt, p); tt.last && exists(dir) {
					t.Errorf("failed CreatePod left %s, which it made", dir)
				}
			}
		})
	}
}

func TestCreatePodRefusesBadIDs(t *testing.T) {
	m, _ := newTestManager(t, Options{})
	for _, id := range []string{"", ".", "..", "a/b", "../x"} {
		if p, err := m.CreatePod(id, nil); err == nil {
			t.Errorf("CreatePod(%q) = %s, want an error", id, p)
			m.remove(p)
		}
	}
}

func TestV2Weight(t *testing.T) {
	for _, tt := range []struct{ shares, want uint64 }{{0, 0}, {2, 1}, {1024, 39}, {262144, 10000}, {1, 1}, {1 << 20, 10000}} {
		if got := v2Weight(tt.shares); got != tt.want {
			t.Errorf("v2Weight(%d) = %d, want %d", tt.shares, got, tt.want)
		}
	}
}
