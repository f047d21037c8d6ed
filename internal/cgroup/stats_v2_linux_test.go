package cgroup

// These tests run the cgroup v2 readers on files written into a temporary
// directory shaped like a cgroup2 mount: this machine's hierarchies are v1
// (a cgroup2 hierarchy with controllers cannot be mounted while they are
// bound), so the real v2 path is exercised by the tests booted in the VM.

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// writeTree writes files (path relative to root -> content) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// v2Container is a v2 container cgroup at /p/pods/c with every file Stats
// reads, and limits on its ancestors.
func v2Container() map[string]string {
	return map[string]string{
		"p/memory.max":              "max\n",
		"p/pods/memory.max":         "1073741824\n",
		"p/pods/c/cgroup.procs":     "12\n7\n",
		"p/pods/c/x/cgroup.procs":   "9\n7\n",
		"p/pods/c/x/y/cgroup.procs": "",
		"p/pods/c/cpu.stat": "usage_usec 51234\nuser_usec 40000\nsystem_usec 11234\n" +
			"nr_periods 10\nnr_throttled 2\nthrottled_usec 300\nnr_bursts 0\nburst_usec 0\n",
		"p/pods/c/memory.current":      "3145728\n",
		"p/pods/c/memory.max":          "2147483648\n",
		"p/pods/c/memory.peak":         "4194304\n",
		"p/pods/c/memory.swap.current": "4096\n",
		"p/pods/c/memory.swap.max":     "max\n",
		"p/pods/c/memory.events":       "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n",
		"p/pods/c/memory.stat": "anon 2097152\nfile 8192\nkernel 262144\nkernel_stack 16384\nsock 4096\n" +
			"file_mapped 4096\nfile_dirty 0\nfile_writeback 0\nanon_thp 0\ninactive_anon 1048576\n" +
			"active_anon 1048576\ninactive_file 8192\nactive_file 0\nunevictable 0\npgfault 100\npgmajfault 1\n",
		"p/pods/c/pids.current":           "3\n",
		"p/pods/c/pids.max":               "max\n",
		"p/pods/c/hugetlb.2MB.current":    "2097152\n",
		"p/pods/c/hugetlb.2MB.max":        "max\n",
		"p/pods/c/hugetlb.2MB.events":     "max 0\n",
		"p/pods/c/hugetlb.1GB.current":    "0\n",
		"p/pods/c/hugetlb.1GB.max":        "1073741824\n",
		"p/pods/c/hugetlb.1GB.events":     "max 3\n",
		"p/pods/c/rdma.current":           "",
		"p/pods/c/x/cpu.stat":             "usage_usec 1\nuser_usec 1\nsystem_usec 0\n",
		"p/pods/c/x/y/cpu.stat":           "usage_usec 0\nuser_usec 0\nsystem_usec 0\n",
		"p/pods/c/x/y/memory.current":     "0\n",
		"p/pods/c/x/y/memory.max":         "max\n",
		"p/pods/c/x/y/memory.swap.max":    "max\n",
		"p/pods/c/x/y/memory.events":      "max 0\noom_kill 0\n",
		"p/pods/c/x/y/memory.stat":        "anon 0\n",
		"p/pods/c/x/y/hugetlb.2MB.max":    "max\n",
		"p/pods/c/x/y/cgroup.controllers": "",
	}
}

// v2Want is what Stats returns for v2Container's cgroup.
func v2Want() *prot.Metrics {
	return &prot.Metrics{
		Hugetlb: []*prot.HugetlbStat{
			{Usage: 2097152, Pagesize: "2MB"},
			{Max: 1073741824, Failcnt: 3, Pagesize: "1GB"},
		},
		Pids: &prot.PidsStat{Current: 3},
		CPU: &prot.CPUStat{
			Usage:      &prot.CPUUsage{Total: 51234000, User: 40000000, Kernel: 11234000},
			Throttling: &prot.Throttle{Periods: 10, ThrottledPeriods: 2, ThrottledTime: 300000},
		},
		Memory: &prot.MemoryStat{
			Cache: 8192, RSS: 2097152, MappedFile: 4096, PgFault: 100, PgMajFault: 1,
			InactiveAnon: 1048576, ActiveAnon: 1048576, InactiveFile: 8192,
			HierarchicalMemoryLimit: 1073741824,
			TotalCache:              8192, TotalRSS: 2097152, TotalMappedFile: 4096, TotalPgFault: 100,
			TotalPgMajFault: 1, TotalInactiveAnon: 1048576, TotalActiveAnon: 1048576, TotalInactiveFile: 8192,
			Usage:     &prot.MemoryEntry{Limit: 2147483648, Usage: 3145728, Max: 4194304, Failcnt: 5},
			Swap:      &prot.MemoryEntry{Limit: unlimitedV1, Usage: 4096},
			Kernel:    &prot.MemoryEntry{Usage: 262144},
			KernelTCP: &prot.MemoryEntry{Usage: 4096},
		},
		Blkio:            &prot.BlkIOStat{},
		Rdma:             &prot.RdmaStat{},
		MemoryOomControl: &prot.MemoryOomControl{OomKill: 1},
	}
}

// fakeV2Manager is a Manager over a cgroup2 tree in a temporary directory.
func fakeV2Manager(t *testing.T) (*Manager, string) {
	t.Helper()
	root := t.TempDir()
	writeTree(t, root, v2Container())
	m := &Manager{parent: "/p", mode: "v2", log: testLog(t)}
	m.sys.l = &layout{v2: true, unified: root}
	m.sys.hugeSizes = []string{"2MB", "1GB"}
	return m, root
}

func TestStatsV2Mapping(t *testing.T) {
	tests := []struct {
		name string
		path string
		edit func(root string) error
		want func() *prot.Metrics
	}{
		{
			name: "every file",
			path: "/p/pods/c",
			want: v2Want,
		},
		{
			name: "no memory.peak, swap or rdma (older kernel)",
			path: "/p/pods/c",
			edit: func(root string) error {
				for _, f := range []string{"memory.peak", "memory.swap.current", "memory.swap.max", "rdma.current"} {
					if err := os.Remove(filepath.Join(root, "p/pods/c", f)); err != nil {
						return err
					}
				}
				return nil
			},
			want: func() *prot.Metrics {
				w := v2Want()
				w.Memory.Usage.Max = 0
				w.Memory.Swap = &prot.MemoryEntry{}
				w.Rdma = nil
				return w
			},
		},
		{
			name: "controllers off: only cpu.stat",
			path: "/p/pods/c/x",
			want: func() *prot.Metrics {
				return &prot.Metrics{
					CPU:   &prot.CPUStat{Usage: &prot.CPUUsage{Total: 1000, User: 1000}, Throttling: &prot.Throttle{}},
					Blkio: &prot.BlkIOStat{},
				}
			},
		},
		{
			name: "unlimited everywhere below a limited ancestor",
			path: "/p/pods/c/x/y",
			want: func() *prot.Metrics {
				return &prot.Metrics{
					CPU: &prot.CPUStat{Usage: &prot.CPUUsage{}, Throttling: &prot.Throttle{}},
					Memory: &prot.MemoryStat{
						HierarchicalMemoryLimit: 1073741824,
						Usage:                   &prot.MemoryEntry{Limit: unlimitedV1},
						Swap:                    &prot.MemoryEntry{Limit: unlimitedV1},
						Kernel:                  &prot.MemoryEntry{}, KernelTCP: &prot.MemoryEntry{},
					},
					Blkio:            &prot.BlkIOStat{},
					MemoryOomControl: &prot.MemoryOomControl{},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, root := fakeV2Manager(t)
			if tt.edit != nil {
				if err := tt.edit(root); err != nil {
					t.Fatal(err)
				}
			}
			got, err := m.Stats(t.Context(), tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.want(); !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Errorf("Stats =\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func TestStatsV2KeysMatchCapture(t *testing.T) {
	m, _ := fakeV2Manager(t)
	s, err := m.Stats(t.Context(), "/p/pods/c")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, doc, false)
}

func TestV2MissingCgroup(t *testing.T) {
	m, _ := fakeV2Manager(t)
	if _, err := m.Stats(t.Context(), "/p/pods/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stats: %v, want ErrNotExist", err)
	}
	if _, err := m.Pids("/p/pods/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Pids: %v, want ErrNotExist", err)
	}
}

func TestPidsV2Tree(t *testing.T) {
	m, _ := fakeV2Manager(t)
	tests := []struct {
		path string
		want []uint32
	}{
		{"/p/pods/c", []uint32{7, 9, 12}},
		{"/p/pods/c/x", []uint32{7, 9}},
		{"/p/pods/c/x/y", nil},
	}
	for _, tt := range tests {
		got, err := m.Pids(tt.path)
		if err != nil {
			t.Fatalf("Pids(%s): %v", tt.path, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Pids(%s) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestEnableControllers(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"cgroup.controllers":           "cpuset cpu io memory pids\n",
		"cgroup.subtree_control":       "cpu memory\n",
		"a/cgroup.controllers":         "cpu memory\n",
		"a/cgroup.subtree_control":     "\n",
		"a/b/cgroup.controllers":       "cpu memory\n",
		"a/b/cgroup.subtree_control":   "cpu memory\n",
		"a/b/c/cgroup.controllers":     "\n",
		"a/b/c/cgroup.subtree_control": "\n",
	})
	if err := enableControllers(root, "/a/b", testLog(t)); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ file, want string }{
		{"cgroup.subtree_control", "+cpuset +io +pids"},
		{"a/cgroup.subtree_control", "+cpu +memory"},
		{"a/b/cgroup.subtree_control", "cpu memory\n"},
		{"a/b/c/cgroup.subtree_control", "\n"},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join(root, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("%s = %q, want %q", tt.file, b, tt.want)
		}
	}
}
