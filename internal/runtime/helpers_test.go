package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/testutil"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// env is one test's world for one runtime binary.
type env struct {
	rt      *Runtime
	reaper  *reaper.Reaper
	rootfs  string
	cgroup  string // parent of the containers' cgroupsPath
	bundles string
}

// forEachRuntime runs fn as a subtest for every runtime installed.
func forEachRuntime(t *testing.T, fn func(t *testing.T, e *env)) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: running containers needs root")
	}
	for _, path := range testutil.Runtimes(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			fn(t, newEnv(t, path))
		})
	}
}

// newEnv sets up a rootfs, a private state dir and cgroup, and a reaper;
// its cleanups check that nothing is left behind. The reaper comes last:
// testutil helpers run commands that it would otherwise reap.
func newEnv(t testing.TB, command string) *env {
	t.Helper()
	rootfs := testutil.BusyboxRootfs(t)
	dir := t.TempDir()
	stateRoot := filepath.Join(dir, "state")
	testutil.NoLeaks(t, dir, stateRoot)
	testutil.NoLeaks(t, rootfs, "")
	cg := testutil.CgroupParent(t)

	r, err := reaper.New(testutil.Logger(t))
	if err != nil {
		t.Fatalf("starting reaper: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("closing reaper: %v", err)
		}
	})
	e := &env{
		rt: &Runtime{Command: command, Root: stateRoot, Reaper: r, Log: testutil.Logger(t),
			ScratchDir: filepath.Join(dir, "scratch")},
		reaper:  r,
		rootfs:  rootfs,
		cgroup:  cg,
		bundles: filepath.Join(dir, "bundles"),
	}
	// Registered before any container, so it runs after their deletes.
	t.Cleanup(func() {
		states, err := e.rt.List(context.Background())
		if err != nil {
			t.Errorf("listing containers at the end: %v", err)
		}
		if len(states) != 0 {
			t.Errorf("containers left at the end: %+v", states)
		}
		if left, _ := os.ReadDir(e.rt.ScratchDir); len(left) != 0 {
			t.Errorf("invocation files left at the end: %v", left)
		}
	})
	return e
}

// container is one created container.
type container struct {
	id   string
	pid  int                // init
	exit <-chan reaper.Exit // the init's exit
	spec *specs.Spec        // as its bundle has it
}

// startOpts are the options that let Start release c's init itself.
func (c *container) startOpts() StartOpts {
	return StartOpts{Pid: c.pid, Spec: c.spec}
}

// spec returns the test spec running args with the container's cgroup
// under the test's parent.
func (e *env) spec(id string, args ...string) *specs.Spec {
	s := testutil.Spec(e.rootfs, args...)
	s.Linux.CgroupsPath = e.cgroup + "/" + id
	return s
}

// writeBundle writes s as the config.json of a new bundle for id.
func (e *env) writeBundle(t testing.TB, id string, s *specs.Spec) string {
	t.Helper()
	bundle := filepath.Join(e.bundles, id)
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return bundle
}

// create creates container id running args, force-deleted in cleanup.
func (e *env) create(t testing.TB, id string, o CreateOpts, args ...string) *container {
	t.Helper()
	c, err := e.tryCreate(t, id, e.spec(id, args...), o)
	if err != nil {
		t.Fatalf("Create(%s): %v", id, err)
	}
	return c
}

func (e *env) tryCreate(t testing.TB, id string, s *specs.Spec, o CreateOpts) (*container, error) {
	t.Helper()
	bundle := e.writeBundle(t, id, s)
	pid, err := e.rt.Create(testCtx(t), id, bundle, o)
	t.Cleanup(func() {
		if err := e.rt.Delete(context.Background(), id, true); err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalidID) {
			t.Errorf("force-deleting %s: %v", id, err)
		}
	})
	if err != nil {
		return nil, err
	}
	return &container{id: id, pid: pid, exit: e.reaper.Subscribe(pid), spec: s}, nil
}

// run creates and starts container id running args.
func (e *env) run(t testing.TB, id string, args ...string) *container {
	t.Helper()
	c := e.create(t, id, CreateOpts{}, args...)
	if err := e.rt.Start(testCtx(t), id, c.startOpts()); err != nil {
		t.Fatalf("Start(%s): %v", id, err)
	}
	return c
}

// process returns a process for exec, like the init's but running args.
func (e *env) process(args ...string) *specs.Process {
	p := testutil.Spec(e.rootfs, args...).Process
	return p
}

func testCtx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// waitExit waits for one exit on ch.
func waitExit(t *testing.T, what string, ch <-chan reaper.Exit) reaper.Exit {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatalf("%s: reaper closed before the exit", what)
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no exit within 10s", what)
	}
	return reaper.Exit{}
}

// readAll reads r to EOF, failing the test after 10s.
func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(r)
		ch <- result{b, err}
	}()
	select {
	case res := <-ch:
		if res.err != nil && !errors.Is(res.err, unix.EIO) {
			t.Fatalf("reading: %v", res.err)
		}
		return string(res.b)
	case <-time.After(10 * time.Second):
		t.Fatal("reading: no EOF within 10s")
	}
	return ""
}

// pipe returns an os.Pipe closed in cleanup.
func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}
