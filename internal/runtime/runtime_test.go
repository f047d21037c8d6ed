package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLifecycle(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, e *env) {
		c := e.create(t, "life", CreateOpts{}, "sleep", "3600")
		st, err := e.rt.State(testCtx(t), c.id)
		if err != nil {
			t.Fatalf("State: %v", err)
		}
		if st.Status != "created" || st.Pid != c.pid || st.ID != c.id {
			t.Fatalf("State after create = %+v, want created with pid %d", st, c.pid)
		}

		if err := e.rt.Start(testCtx(t), c.id, c.startOpts()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		if st, err := e.rt.State(testCtx(t), c.id); err != nil || st.Status != "running" {
			t.Fatalf("State after start = %+v, %v; want running", st, err)
		}

		r, w := pipe(t)
		pid, err := e.rt.Exec(testCtx(t), c.id, e.process("echo", "hi"), ExecOpts{IO: IO{Stdout: w}})
		if err != nil {
			t.Fatalf("Exec: %v", err)
		}
		execExit := e.reaper.Subscribe(pid)
		w.Close() // the process has its own copy now
		if out := readAll(t, r); out != "hi\n" {
			t.Errorf("exec output = %q, want %q", out, "hi\n")
		}
		if x := waitExit(t, "exec", execExit); x.Pid != pid || x.Code() != 0 {
			t.Errorf("exec exit = %+v (%s), want pid %d code 0", x, x, pid)
		}

		if err := e.rt.Kill(testCtx(t), c.id, unix.SIGKILL, true); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		if x := waitExit(t, "init", c.exit); x.Code() != 137 {
			t.Errorf("init exit = %s (code %d), want 137", x, x.Code())
		}
		if st, err := e.rt.State(testCtx(t), c.id); err != nil || st.Status != "stopped" {
			t.Errorf("State after kill = %+v, %v; want stopped", st, err)
		}

		if err := e.rt.Delete(testCtx(t), c.id, false); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := e.rt.State(testCtx(t), c.id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("State after delete: %v, want ErrNotFound", err)
		}
		if l, err := e.rt.List(testCtx(t)); err != nil || len(l) != 0 {
			t.Fatalf("List after delete = %+v, %v; want empty", l, err)
		}
	})
}

func TestUpdateMemory(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, e *env) {
		c := e.run(t, "upd", "sleep", "3600")
		limit := int64(64 << 20)
		if err := e.rt.Update(testCtx(t), c.id, memoryLimit(limit)); err != nil {
			t.Fatalf("Update: %v", err)
		}
		if got := readMemoryLimit(t, e.cgroup+"/"+c.id); got != limit {
			t.Errorf("memory limit = %d, want %d", got, limit)
		}
	})
}

// readMemoryLimit reads the memory limit of a cgroup: memory.limit_in_bytes
// on cgroup v1, memory.max on a unified layout.
func readMemoryLimit(t *testing.T, cgroup string) int64 {
	t.Helper()
	path := filepath.Join("/sys/fs/cgroup/memory", cgroup, "memory.limit_in_bytes")
	if _, err := os.Stat("/sys/fs/cgroup/memory"); err != nil {
		path = filepath.Join("/sys/fs/cgroup", cgroup, "memory.max")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading memory limit: %v", err)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatalf("parsing memory limit %q: %v", b, err)
	}
	return v
}

// TestCancelled checks that a cancelled context stops the runtime and is
// what the error reports.
func TestCancelled(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, e *env) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := e.rt.Start(ctx, "whatever", StartOpts{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Start with a cancelled context: %v, want context.Canceled", err)
		}
	})
}

func TestNoReaper(t *testing.T) {
	rt := &Runtime{Command: "runc", Root: t.TempDir()}
	if _, err := rt.List(context.Background()); err == nil || !strings.Contains(err.Error(), "no reaper") {
		t.Fatalf("List without a reaper: %v, want a no-reaper error", err)
	}
	if _, err := rt.Exec(context.Background(), "x", nil, ExecOpts{}); err == nil {
		t.Fatal("Exec of a nil process succeeded")
	}
}
