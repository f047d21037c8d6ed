package cgroup

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
)

func TestNewMakesLayoutWithLimits(t *testing.T) {
	total, err := totalRAM()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opts     Options
		wantGCS  uint64
		wantPods uint64
	}{
		{
			// The threshold is only watched: /gcs itself is never limited,
			// as in the reference, so that load cannot OOM-kill the daemon.
			name:     "gcs threshold, default reserve",
			opts:     Options{GCSMemoryThreshold: 50 << 20},
			wantGCS:  unlimitedV1,
			wantPods: pageDown(total - DefaultRootMemoryReserve),
		},
		{
			name:     "gcs unlimited, 1 GiB reserve",
			opts:     Options{RootMemoryReserve: 1 << 30},
			wantGCS:  unlimitedV1,
			wantPods: pageDown(max(total-(1<<30), MinPodsMemoryLimit)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, l := newTestManager(t, tt.opts)
			if l.v2 && m.Mode() != "v2" || !l.v2 && m.Mode() != "v1" {
				t.Errorf("Mode() = %q with layout v2=%v", m.Mode(), l.v2)
			}
			for _, mnt := range m.ownedMounts() {
				for _, rel := range []string{m.gcsPath(), m.podsPath()} {
					if !exists(filepath.Join(mnt, rel)) {
						t.Errorf("%s missing", filepath.Join(mnt, rel))
					}
				}
			}
			if got := memoryLimit(t, m, m.gcsPath()); got != tt.wantGCS {
				t.Errorf("gcs memory limit = %d, want %d", got, tt.wantGCS)
			}
			if got := memoryLimit(t, m, m.podsPath()); got != tt.wantPods {
				t.Errorf("pods memory limit = %d, want %d", got, tt.wantPods)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"relative parent", Options{Parent: "gcs-test"}},
		{"negative reserve", Options{Parent: "/x", RootMemoryReserve: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, err := New(tt.opts); err == nil {
				_ = m.Close()
				t.Fatal("New succeeded")
			}
		})
	}
}

func TestPodsMemoryLimit(t *testing.T) {
	m, _ := newTestManager(t, Options{RootMemoryReserve: 128 << 20})
	total, err := totalRAM()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		apply func() error
		want  uint64
	}{
		{"set 256 MiB", func() error { return m.SetPodsMemoryLimit(256 << 20) }, 256 << 20},
		{"set unaligned", func() error { return m.SetPodsMemoryLimit(300<<20 + 123) }, pageDown(300<<20 + 123)},
		{"set 0 is unlimited", func() error { return m.SetPodsMemoryLimit(0) }, unlimitedV1},
		{"set -1 is unlimited", func() error { return m.SetPodsMemoryLimit(-1) }, unlimitedV1},
		{"recompute", m.RecomputePodsMemoryLimit, pageDown(total - 128<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.apply(); err != nil {
				t.Fatal(err)
			}
			if got := memoryLimit(t, m, m.podsPath()); got != tt.want {
				t.Errorf("pods memory limit = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPodsLimitFloor(t *testing.T) {
	tests := []struct {
		total, reserve, want int64
	}{
		{8 << 30, 75 << 20, 8<<30 - 75<<20},
		{1 << 30, 1 << 30, MinPodsMemoryLimit},
		{100 << 20, 1 << 30, MinPodsMemoryLimit},
		{MinPodsMemoryLimit + 1, 1, MinPodsMemoryLimit},
	}
	for _, tt := range tests {
		if got := podsLimit(tt.total, tt.reserve); got != tt.want {
			t.Errorf("podsLimit(%d, %d) = %d, want %d", tt.total, tt.reserve, got, tt.want)
		}
	}
}

func TestContainerPath(t *testing.T) {
	tests := []struct {
		parent, id, want string
	}{
		{"/", "abc", "/pods/abc"},
		{"/x/y/", "abc", "/x/y/pods/abc"},
		{"/x", "sb/abc", "/x/pods/sb/abc"},
	}
	for _, tt := range tests {
		m := &Manager{parent: tt.parent}
		if got := m.ContainerPath(tt.id); got != filepath.Clean(tt.want) {
			t.Errorf("ContainerPath(%q) under %q = %q, want %q", tt.id, tt.parent, got, tt.want)
		}
	}
}

func TestRemoveLeavesNothing(t *testing.T) {
	m, l := newTestManager(t, Options{})
	p := m.ContainerPath("c1")
	dirs := makeCgroup(t, m, p+"/child/grandchild")
	// A runtime may also mirror the container in the hybrid cgroup2 mount.
	if !l.v2 && l.unified != "" {
		makeMirror(t, l.unified, p+"/child")
	}
	if err := m.Remove(p); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	for _, mnt := range l.mounts() {
		if exists(filepath.Join(mnt, p)) {
			t.Errorf("%s left behind", filepath.Join(mnt, p))
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no hierarchy")
	}
	if err := m.Remove(p); err != nil {
		t.Errorf("Remove of a missing cgroup: %v", err)
	}
	for _, bad := range []string{"/", m.podsPath(), m.gcsPath(), "relative/path"} {
		if err := m.Remove(bad); err == nil {
			t.Errorf("Remove(%q) succeeded", bad)
		}
	}
}

func TestRemoveAfterProcessesDie(t *testing.T) {
	m, l := newTestManager(t, Options{})
	p, sleeps := sleepingContainer(t, m, "busy")
	if err := m.Remove(p); err == nil {
		t.Fatal("Remove succeeded with live processes")
	}
	killAll(t, sleeps)
	if err := m.Remove(p); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	for _, mnt := range l.mounts() {
		if exists(filepath.Join(mnt, p)) {
			t.Errorf("%s left behind", filepath.Join(mnt, p))
		}
	}
}

func TestCloseLeavesNothing(t *testing.T) {
	tests := []struct {
		name     string
		leftover bool
	}{
		{"empty pods", false},
		{"container left in pods", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, l := newTestManager(t, Options{GCSMemoryThreshold: 32 << 20})
			p := m.ContainerPath("c1")
			makeCgroup(t, m, p)
			if !tt.leftover {
				if err := m.Remove(p); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := m.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			for _, mnt := range l.mounts() {
				if exists(filepath.Join(mnt, m.gcsPath())) {
					t.Errorf("%s left behind", filepath.Join(mnt, m.gcsPath()))
				}
				if got := exists(filepath.Join(mnt, m.parent)); got != (tt.leftover && exists(filepath.Join(mnt, p))) {
					t.Errorf("%s exists = %v", filepath.Join(mnt, m.parent), got)
				}
			}
		})
	}
}

func TestPidsOfMissingCgroup(t *testing.T) {
	m, _ := newTestManager(t, Options{})
	if _, err := m.Pids(m.ContainerPath("nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Pids of a missing cgroup: %v, want ErrNotExist", err)
	}
	if _, err := m.Stats(t.Context(), m.ContainerPath("nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stats of a missing cgroup: %v, want ErrNotExist", err)
	}
}
