package cgroup

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestPidsAndStatsOfLiveContainer(t *testing.T) {
	m, l := newTestManager(t, Options{})
	p, sleeps := sleepingContainer(t, m, "live")
	var want []uint32
	for _, c := range sleeps {
		want = append(want, uint32(c.Process.Pid))
	}
	slices.Sort(want)

	t.Run("Pids", func(t *testing.T) {
		got, err := m.Pids(p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Pids = %v, want %v", got, want)
		}
		child, err := m.Pids(p + "/child")
		if err != nil {
			t.Fatal(err)
		}
		if len(child) != 1 || child[0] != uint32(sleeps[2].Process.Pid) {
			t.Errorf("Pids of the child = %v, want [%d]", child, sleeps[2].Process.Pid)
		}
	})

	t.Run("Stats", func(t *testing.T) {
		s, err := m.Stats(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		if s.Pids == nil || s.Pids.Current != 3 {
			t.Errorf("pids = %+v, want current 3", s.Pids)
		}
		if s.Memory == nil || s.Memory.Usage == nil || s.Memory.Usage.Usage == 0 {
			t.Errorf("memory = %+v, want a usage", s.Memory)
		}
		if s.CPU == nil || s.CPU.Usage == nil || s.CPU.Usage.Total == 0 {
			t.Errorf("cpu = %+v, want a usage", s.CPU)
		}
		if !l.v2 && (s.CPU == nil || s.CPU.Usage == nil || len(s.CPU.Usage.PerCPU) == 0) {
			t.Errorf("cpu = %+v, want per_cpu in v1", s.CPU)
		}
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		js := string(raw)
		t.Logf("stats: %s", js)
		if !strings.Contains(js, `"blkio":{}`) {
			t.Errorf("blkio is not {}: %s", js)
		}
		if strings.Contains(js, `"network"`) {
			t.Errorf("network present: %s", js)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		// The capture comes from a v1 machine without rdma or hugetlb
		// hierarchies, like this one in hybrid mode: same objects.
		_, hasRdma := l.controller("rdma")
		_, hasHuge := l.controller("hugetlb")
		checkKeys(t, doc, !l.v2 && !hasRdma && !hasHuge)
	})

	t.Run("StatsCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := m.Stats(ctx, p); err == nil {
			t.Error("Stats with a canceled context succeeded")
		}
	})
}

func BenchmarkStats(b *testing.B) {
	m, _ := newTestManager(b, Options{})
	p, _ := sleepingContainer(b, m, "bench")
	ctx := b.Context()
	for b.Loop() {
		if _, err := m.Stats(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPids(b *testing.B) {
	m, _ := newTestManager(b, Options{})
	p, _ := sleepingContainer(b, m, "bench")
	for b.Loop() {
		pids, err := m.Pids(p)
		if err != nil {
			b.Fatal(err)
		}
		if len(pids) != 3 {
			b.Fatalf("Pids = %v", pids)
		}
	}
}
