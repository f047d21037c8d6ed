package cgroup

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestPodsPidsLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		total uint64
		want  uint64
	}{
		{"large VM: the reserve is capped", 4194304, 4194304 - maxPidsReserve},
		{"small VM: a quarter", 32768, 32768 - maxPidsReserve},
		{"a quarter below the cap", 2000, 1500},
		{"the reserve's floor", 400, 400 - minPidsReserve},
		{"a test's 600 tasks", 600, 450},
		{"very few tasks: half for containers", 100, 50},
		{"one task", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := podsPidsLimit(tc.total); got != tc.want {
				t.Errorf("podsPidsLimit(%d) = %d, want %d", tc.total, got, tc.want)
			}
		})
	}
}

func TestAncestorsPidsMax(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits map[string]string // cgroup -> pids.max; "" makes it without
		parent string
		want   uint64
	}{
		{"none limited", map[string]string{"/a": "max", "/a/b": "max"}, "/a/b", math.MaxUint64},
		{"the parent", map[string]string{"/a": "max", "/a/b": "600"}, "/a/b", 600},
		{"an ancestor", map[string]string{"/a": "300", "/a/b": "max"}, "/a/b", 300},
		{"the least", map[string]string{"/a": "300", "/a/b": "200"}, "/a/b", 200},
		{"a parent not yet made", map[string]string{"/a": "700"}, "/a/b", 700},
		{"no pids.max (v2 without the controller)", map[string]string{"/a": ""}, "/a", math.MaxUint64},
		{"the root", nil, "/", math.MaxUint64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mnt := t.TempDir()
			for cg, v := range tc.limits {
				dir := filepath.Join(mnt, cg)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if v == "" {
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte(v+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ancestorsPidsMax(mnt, tc.parent)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ancestorsPidsMax(%s) = %d, want %d", tc.parent, got, tc.want)
			}
		})
	}
}

func TestAncestorsPidsMaxBadValue(t *testing.T) {
	mnt := t.TempDir()
	if err := os.Mkdir(filepath.Join(mnt, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mnt, "a", "pids.max"), []byte("lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ancestorsPidsMax(mnt, "/a"); err == nil {
		t.Error("a pids.max that is no count was accepted")
	}
}
