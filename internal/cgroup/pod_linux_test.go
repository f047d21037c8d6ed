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
