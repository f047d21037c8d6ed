package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// pidsMaxFile is the pids.max file of cgroup p, or "" when the pids
// controller does not account it.
func pidsMaxFile(m *Manager, p string) string {
	mnt := m.sys.v1.pids
	if m.sys.l.v2 {
		mnt = m.sys.l.unified
	}
	f := filepath.Join(mnt, p, "pids.max")
	if mnt == "" || !exists(f) {
		return ""
	}
	return f
}

// statsPidsLimit sets pids.max of p to limit and returns the limit Stats reads.
func statsPidsLimit(t *testing.T, m *Manager, p string, limit int) uint64 {
	t.Helper()
	f := pidsMaxFile(m, p)
	if f == "" {
		t.Skip("skipping: the pids controller does not account the test cgroup")
	}
	if err := writeFile(f, strconv.Itoa(limit)); err != nil {
		t.Fatal(err)
	}
	s, err := m.Stats(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Pids == nil {
		t.Fatalf("Stats of %s has no pids", p)
	}
	return s.Pids.Limit
}

// rmTreeAll removes cgroup p behind the Manager's back (its kept files stay).
func rmTreeAll(m *Manager, p string) error {
	for _, mnt := range m.sys.l.mounts() {
		if err := rmTree(filepath.Join(mnt, p)); err != nil {
			return err
		}
	}
	return nil
}

// openFDs counts the process's open files.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestStatsFilesOfRecreatedCgroup removes a container's cgroup and makes it
// again under the same path, by the Manager or behind its back (as a
// runtime's delete does): Stats must read the new cgroup, never a stale
// kept file of the old one.
func TestStatsFilesOfRecreatedCgroup(t *testing.T) {
	for _, tc := range []struct {
		name       string
		viaManager bool
		readGone   bool // read the statistics while the cgroup is gone
	}{
		{"removed by the manager", true, true},
		{"removed behind its back", false, true},
		{"removed behind its back and made again at once", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newTestManager(t, Options{})
			p := m.ContainerPath("again")
			dirs := makeCgroup(t, m, p)
			for i := 0; i < 2; i++ { // read twice: the second through kept files
				if got := statsPidsLimit(t, m, p, 7); got != 7 {
					t.Fatalf("pids limit = %d, want 7", got)
				}
			}
			if tc.viaManager {
				if err := m.Remove(p); err != nil {
					t.Fatal(err)
				}
			} else {
				for _, d := range dirs {
					if err := os.Remove(d); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tc.readGone {
				if _, err := m.Stats(t.Context(), p); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Stats of the removed cgroup: %v, want not exist", err)
				}
			}
			makeCgroup(t, m, p)
			if got := statsPidsLimit(t, m, p, 9); got != 9 {
				t.Fatalf("pids limit of the new cgroup = %d, want 9 (a stale file of the old one?)", got)
			}
			if err := m.Remove(p); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStatsFilesBounded reads the statistics of more cgroups than are kept:
// the files of at most statFilesKept cgroups stay open, Remove closes a
// cgroup's files and Close closes them all.
func TestStatsFilesBounded(t *testing.T) {
	m, _ := newTestManager(t, Options{})
	base := openFDs(t)
	var paths []string
	perCgroup := 0
	for i := 0; i < statFilesKept+4; i++ {
		p := m.ContainerPath(fmt.Sprintf("bound%d", i))
		makeCgroup(t, m, p)
		t.Cleanup(func() { _ = m.remove(p) })
		paths = append(paths, p)
		if _, err := m.Stats(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			perCgroup = openFDs(t) - base
			if perCgroup <= 0 {
				t.Fatalf("no file kept open after Stats (%d)", perCgroup)
			}
		}
	}
	checks := []struct {
		name  string
		act   func() error
		files int // cgroups whose files are open after act
	}{
		{"after reading more cgroups than kept", func() error { return nil }, statFilesKept},
		{"after Remove of a kept one", func() error { return m.Remove(paths[len(paths)-1]) }, statFilesKept - 1},
		{"after Close", func() error {
			for _, p := range paths[:len(paths)-1] {
				if err := rmTreeAll(m, p); err != nil {
					return err
				}
			}
			return m.Close()
		}, 0},
	}
	for _, c := range checks {
		if err := c.act(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := m.sys.files.len(); got != c.files {
			t.Errorf("%s: %d cgroups kept, want %d", c.name, got, c.files)
		}
		if got, want := openFDs(t)-base, c.files*perCgroup; got != want {
			t.Errorf("%s: %d files open, want %d (%d per cgroup)", c.name, got, want, perCgroup)
		}
	}
}

// TestStatsFilesOfRemovedTree reads the statistics of a pod and of a
// container in it, then removes the pod's whole tree: the kept files of
// both cgroups are closed at once, not left open on removed cgroups until
// others push them out.
func TestStatsFilesOfRemovedTree(t *testing.T) {
	m, _ := newTestManager(t, Options{})
	base := openFDs(t)
	pod := m.PodPath("tree")
	child := m.PodContainerPath("tree", "member")
	makeCgroup(t, m, pod)
	t.Cleanup(func() { _ = m.remove(pod) })
	makeCgroup(t, m, child)
	for _, p := range []string{child, pod} {
		if _, err := m.Stats(t.Context(), p); err != nil {
			t.Fatalf("stats of %s: %v", p, err)
		}
	}
	if got := m.sys.files.len(); got != 2 {
		t.Fatalf("%d cgroups kept after reading 2", got)
	}
	if err := m.Remove(pod); err != nil {
		t.Fatal(err)
	}
	if got := m.sys.files.len(); got != 0 {
		t.Errorf("%d cgroups kept after their tree was removed, want 0", got)
	}
	if got := openFDs(t) - base; got != 0 {
		t.Errorf("%d files left open after the tree was removed, want 0", got)
	}
}

func TestInTree(t *testing.T) {
	for _, tc := range []struct {
		p, root string
		want    bool
	}{
		{"/gcs/pods/a", "/gcs/pods/a", true},
		{"/gcs/pods/a/b", "/gcs/pods/a", true},
		{"/gcs/pods/ab", "/gcs/pods/a", false},
		{"/gcs/pods", "/gcs/pods/a", false},
		{"/gcs/pods/a", "/", true},
	} {
		if got := inTree(tc.p, tc.root); got != tc.want {
			t.Errorf("inTree(%q, %q) = %v, want %v", tc.p, tc.root, got, tc.want)
		}
	}
}
