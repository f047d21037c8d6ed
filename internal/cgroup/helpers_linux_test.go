package cgroup

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// requireCgroups skips tests that need real cgroups: root and a usable
// cgroup mode.
func requireCgroups(tb testing.TB) *layout {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root to make cgroups")
	}
	l, err := detectLayout()
	if err != nil {
		tb.Skipf("no usable cgroups: %v", err)
	}
	return l
}

// testParent returns a fresh cgroup parent path for one test and removes
// whatever is left under it, in every hierarchy, when the test ends.
func testParent(tb testing.TB, l *layout) string {
	tb.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	parent := "/gcs-cgtest-" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		for _, mnt := range l.mounts() {
			if err := rmTree(filepath.Join(mnt, parent)); err != nil {
				tb.Errorf("clean up test cgroups: %v", err)
			}
		}
	})
	return parent
}

// testLog is a logger that writes to the test's log.
func testLog(tb testing.TB) *logrus.Entry {
	l := logrus.New()
	l.SetOutput(tbWriter{tb})
	l.SetLevel(logrus.DebugLevel)
	return logrus.NewEntry(l)
}

// tbWriter sends log lines to tb.Log.
type tbWriter struct{ tb testing.TB }

// Write logs p.
func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newTestManager makes a Manager under a fresh test parent, closed when the
// test ends.
func newTestManager(tb testing.TB, opts Options) (*Manager, *layout) {
	tb.Helper()
	l := requireCgroups(tb)
	opts.Parent = testParent(tb, l)
	opts.Log = testLog(tb)
	m, err := New(opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	return m, l
}

// makeCgroup makes the cgroup rel in every hierarchy the Manager owns, as an
// OCI runtime would, and returns its directories.
func makeCgroup(tb testing.TB, m *Manager, rel string) []string {
	tb.Helper()
	var dirs []string
	for _, mnt := range m.ownedMounts() {
		dir := filepath.Join(mnt, rel)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	if h, ok := m.sys.l.controller("cpuset"); ok {
		if err := initCpuset(h.mount, rel); err != nil {
			tb.Fatal(err)
		}
	}
	return dirs
}

// startSleep starts "sleep 30" inside the cgroup directories: the child
// joins them before it execs, so what sleep allocates is charged there. It
// is killed and reaped when the test ends.
func startSleep(tb testing.TB, dirs []string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command("sh", "-c", "read _; exec sleep 30")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	pid := cmd.Process.Pid
	for _, dir := range dirs {
		if err := writeFile(filepath.Join(dir, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		tb.Fatal(err)
	}
	_ = stdin.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if err == nil && strings.TrimSpace(string(comm)) == "sleep" {
			return cmd
		}
		if time.Now().After(deadline) {
			tb.Fatalf("pid %d did not exec sleep (comm %q, %v)", pid, comm, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// sleepingContainer makes container cgroup id with two sleeps in it and one
// in a child cgroup, and returns its path and the sleeps.
func sleepingContainer(tb testing.TB, m *Manager, id string) (string, []*exec.Cmd) {
	tb.Helper()
	p := m.ContainerPath(id)
	top := makeCgroup(tb, m, p)
	child := makeCgroup(tb, m, p+"/child")
	return p, []*exec.Cmd{startSleep(tb, top), startSleep(tb, top), startSleep(tb, child)}
}

// killAll kills and reaps the sleeps.
func killAll(tb testing.TB, cmds []*exec.Cmd) {
	tb.Helper()
	for _, c := range cmds {
		_ = c.Process.Kill()
		_ = c.Wait()
	}
}

// makeMirror makes the cgroup rel under one extra mount, as a runtime may
// in the hybrid cgroup2 hierarchy.
func makeMirror(tb testing.TB, mnt, rel string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Join(mnt, rel), 0o755); err != nil {
		tb.Fatal(err)
	}
}

// memoryLimit reads back the memory limit of the cgroup rel (unlimited reads
// as unlimitedV1 in both modes).
func memoryLimit(tb testing.TB, m *Manager, rel string) uint64 {
	tb.Helper()
	file := filepath.Join(m.sys.l.unified, rel, "memory.max")
	if !m.sys.l.v2 {
		h, _ := m.sys.l.controller("memory")
		file = filepath.Join(h.mount, rel, "memory.limit_in_bytes")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := parseLimit(b, unlimitedV1)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// pageDown rounds n down to a whole page, as the kernel stores limits.
func pageDown(n int64) uint64 {
	ps := int64(os.Getpagesize())
	return uint64(n / ps * ps)
}

// exists reports whether a path exists.
func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
