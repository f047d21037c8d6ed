package cgroup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// maxTestErr is the longest error a walk of a deep tree may return.
const maxTestErr = 1024

// deepChain makes, below dir, a chain of nested cgroups named name (with
// mkdirat, as a container with its cgroup file system writable can from
// inside its own cgroup namespace, so that the full path may be longer than
// PATH_MAX) and returns an fd of the deepest one. What is left of the chain
// is removed when the test ends.
func deepChain(t *testing.T, dir, name string, levels int) int {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	fds := []int{fd}
	t.Cleanup(func() {
		for i := len(fds) - 1; i >= 1; i-- {
			unix.Close(fds[i])
			for try := 0; try < 200; try++ {
				if err := unix.Unlinkat(fds[i-1], name, unix.AT_REMOVEDIR); err != unix.EBUSY {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		unix.Close(fds[0])
	})
	for range levels {
		cur := fds[len(fds)-1]
		if err := unix.Mkdirat(cur, name, 0o755); err != nil {
			t.Fatalf("mkdirat: %v", err)
		}
		nfd, err := unix.Openat(cur, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("openat: %v", err)
		}
		fds = append(fds, nfd)
	}
	return fds[len(fds)-1]
}

// joinAt moves pid into the cgroup open at dirfd.
func joinAt(t *testing.T, dirfd, pid int) {
	t.Helper()
	procs, err := unix.Openat(dirfd, "cgroup.procs", unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(procs)
	if _, err := unix.Write(procs, []byte(strconv.Itoa(pid))); err != nil {
		t.Fatal(err)
	}
}

// alive reports whether pid is a process not yet dead (a zombie is dead).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return !strings.Contains(string(st), ") Z")
}

// A process of a container's that sits in a child cgroup whose path exceeds
// PATH_MAX used to make the walk fail with ENAMETOOLONG: ProcessList failed,
// Kill (abortCreate's clean-up) gave up leaving the process alive, and
// Remove leaked the tree. Within the walk's bounds all three reach it; past
// them, Pids and Remove fail with a short error and Kill still kills what
// it reaches (all of it in v2 mode, through cgroup.kill).
func TestDeepCgroupPidsKillRemove(t *testing.T) {
	tests := []struct {
		name   string
		dir    string // name of each level of the chain
		levels int
		inLeaf bool // the process sits in the deepest cgroup, else at the top
		tooBig bool // the chain is past maxTreeDepth
	}{
		{"longer than PATH_MAX", strings.Repeat("d", 200), 25, true, false}, // 25*201 > 4096
		{"past the depth bound", "d", maxTreeDepth + 2, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, l := newTestManager(t, Options{})
			h, ok := l.controller("pids")
			if l.v2 || !ok {
				h.mount = l.unified
			}
			p := m.ContainerPath("deep")
			top := makeCgroup(t, m, p)
			leaf := deepChain(t, filepath.Join(h.mount, p), tt.dir, tt.levels)
			sleep := startSleep(t, top)
			pid := sleep.Process.Pid
			if tt.inLeaf {
				joinAt(t, leaf, pid)
			}

			pids, err := m.Pids(p)
			if tt.tooBig {
				if !errors.Is(err, errTreeTooBig) {
					t.Errorf("Pids = %v, %v; want an error for a tree too deep", pids, err)
				}
			} else if err != nil || !slices.Contains(pids, uint32(pid)) {
				t.Errorf("Pids (ProcessList) = %v, %v; want a list holding %d", pids, err, pid)
			}
			t.Logf("Pids: %v", err)
			if err != nil && len(err.Error()) > maxTestErr {
				t.Errorf("Pids error is %d bytes long", len(err.Error()))
			}

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			kerr := m.Kill(ctx, p)
			t.Logf("Kill: %v", kerr)
			// Past the bounds Kill cannot vouch for what it did not walk,
			// except in v2 mode, where cgroup.kill and the tree's
			// "populated 0" do.
			if wantErr := tt.tooBig && !l.v2; wantErr != (kerr != nil) {
				t.Errorf("Kill = %v; want an error: %v", kerr, wantErr)
			}
			if kerr != nil && len(kerr.Error()) > maxTestErr {
				t.Errorf("Kill error is %d bytes long", len(kerr.Error()))
			}
			_ = sleep.Wait()
			if alive(pid) {
				t.Errorf("Kill = %v; process %d still alive", kerr, pid)
			}

			rerr := m.Remove(p)
			t.Logf("Remove: %v", rerr)
			if tt.tooBig {
				if !errors.Is(rerr, errTreeTooBig) || len(rerr.Error()) > maxTestErr {
					t.Errorf("Remove = %v; want a short error for a tree too deep", rerr)
				}
				return
			}
			if rerr != nil {
				t.Errorf("Remove: %v", rerr)
			}
			for _, mnt := range l.mounts() {
				if exists(filepath.Join(mnt, p)) {
					t.Errorf("Remove left %s behind", filepath.Join(mnt, p))
				}
			}
		})
	}
}

// cutPath keeps short paths and cuts long ones to a bounded length that
// still shows both ends.
func TestCutPath(t *testing.T) {
	long := "/sys/fs/cgroup/pids/" + strings.Repeat("d/", 3000) + "leaf"
	tests := []struct{ in, prefix, suffix string }{
		{"/a/b", "/a/b", "/a/b"},
		{strings.Repeat("x", maxErrPath), strings.Repeat("x", maxErrPath), ""},
		{long, "/sys/fs/cgroup/pids/d/", "d/leaf"},
		{strings.Repeat("é", 200), "", ""},
	}
	for _, tt := range tests {
		got := cutPath(tt.in)
		if len(got) > maxErrPath+32 || !strings.HasPrefix(got, tt.prefix) || !strings.HasSuffix(got, tt.suffix) {
			t.Errorf("cutPath(%.20q...) = %q", tt.in, got)
		}
		if !utf8Valid(got) {
			t.Errorf("cutPath(%.20q...) = %q, not UTF-8", tt.in, got)
		}
	}
}

// utf8Valid reports whether s is valid UTF-8.
func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

// rmTree removes trees up to treeWalk's bounds and refuses bigger ones with
// errTreeTooBig, having removed nothing it could not finish. Plain
// directories stand in for cgroups: the walk only needs directory entries.
func TestRmTreeBounds(t *testing.T) {
	tests := []struct {
		name          string
		width, levels int
		tooBig        bool
	}{
		{"deepest walked", 1, maxTreeDepth, false},
		{"too deep", 1, maxTreeDepth + 1, true},
		{"widest walked", maxTreeNodes, 1, false},
		{"too wide", maxTreeNodes + 1, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := filepath.Join(t.TempDir(), "top")
			dir := top
			for range tt.levels {
				dir = filepath.Join(dir, "d")
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := 1; i < tt.width; i++ {
				if err := os.Mkdir(filepath.Join(top, strconv.Itoa(i)), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			err := rmTree(top)
			if tt.tooBig {
				if !errors.Is(err, errTreeTooBig) || !exists(top) {
					t.Errorf("rmTree = %v, top left: %v; want errTreeTooBig and top kept", err, exists(top))
				}
				return
			}
			if err != nil || exists(top) {
				t.Errorf("rmTree = %v, top left: %v", err, exists(top))
			}
		})
	}
}
