package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// wedgedScript stands in for a runtime that wedges, the way runc and crun
// do when a container's /etc/passwd is a FIFO: whatever the subcommand, it
// leaves a helper in a session of its own (runc init after setsid), a
// second one that left its process tree altogether (crun's double fork,
// reparented to the subreaper), writes their pids to DIR and never exits.
// A fake at the one boundary a real runtime cannot be made to hit at will.
const wedgedScript = `#!/bin/sh
dir=@DIR@
setsid sh -c 'echo $$ > '"$dir"'/session.$$; exec sleep 3600' &
setsid sh -c 'sleep 3600 & echo $! > '"$dir"'/orphan.$!' &
while [ "$(ls "$dir" | wc -l)" -lt 2 ]; do sleep 0.05; done
exec sleep 3600
`

// wedgedRuntime returns a Runtime running wedgedScript under a reaper
// of its own, and the directory its helpers' pids are written to.
func wedgedRuntime(t *testing.T) (*Runtime, string) {
	t.Helper()
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	if err := os.Mkdir(pids, 0o700); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "wedged-runtime")
	if err := os.WriteFile(script, []byte(strings.ReplaceAll(wedgedScript, "@DIR@", pids)), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := reaper.New(testutil.Logger(t))
	if err != nil {
		t.Fatalf("starting reaper: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return &Runtime{Command: script, Root: filepath.Join(dir, "state"), Reaper: r, Log: testutil.Logger(t)}, pids
}

// wedgedCalls is one call per subcommand the runtime wraps.
func wedgedCalls() []struct {
	op   string
	call func(ctx context.Context, r *Runtime) error
} {
	return []struct {
		op   string
		call func(ctx context.Context, r *Runtime) error
	}{
		{"create", func(ctx context.Context, r *Runtime) error {
			_, err := r.Create(ctx, "c", "/nonexistent", CreateOpts{})
			return err
		}},
		{"start", func(ctx context.Context, r *Runtime) error { return r.Start(ctx, "c", StartOpts{}) }},
		{"exec", func(ctx context.Context, r *Runtime) error {
			_, err := r.Exec(ctx, "c", &specs.Process{Args: []string{"true"}}, ExecOpts{})
			return err
		}},
		{"kill", func(ctx context.Context, r *Runtime) error { return r.Kill(ctx, "c", unix.SIGKILL, true) }},
		{"delete", func(ctx context.Context, r *Runtime) error { return r.Delete(ctx, "c", true) }},
		{"update", func(ctx context.Context, r *Runtime) error { return r.Update(ctx, "c", &specs.LinuxResources{}) }},
		{"state", func(ctx context.Context, r *Runtime) error {
			_, err := r.State(ctx, "c")
			return err
		}},
		{"list", func(ctx context.Context, r *Runtime) error {
			_, err := r.List(ctx)
			return err
		}},
	}
}

// TestWedgedRuntimeTimesOut has every subcommand of a wedged runtime
// outlive Runtime.Timeout: each returns ErrTimeout naming the subcommand,
// and the runtime and both helpers are gone.
func TestWedgedRuntimeTimesOut(t *testing.T) {
	for _, tc := range wedgedCalls() {
		t.Run(tc.op, func(t *testing.T) {
			r, pids := wedgedRuntime(t)
			r.Timeout = time.Second
			err := wedgedCall(t, r, context.Background(), tc.call)
			if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "wedged-runtime "+tc.op) {
				t.Fatalf("%s: %v, want ErrTimeout naming %q", tc.op, err, "wedged-runtime "+tc.op)
			}
			wedgedGone(t, pids)
		})
	}
}

// TestWedgedRuntimeContextDeadline: the caller's deadline, when it comes
// first, ends the invocation the same way, with the context's error.
func TestWedgedRuntimeContextDeadline(t *testing.T) {
	for _, tc := range wedgedCalls() {
		t.Run(tc.op, func(t *testing.T) {
			r, pids := wedgedRuntime(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			err := wedgedCall(t, r, ctx, tc.call)
			if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
				t.Fatalf("%s: %v, want the context's deadline", tc.op, err)
			}
			wedgedGone(t, pids)
		})
	}
}

// wedgedCall runs call once its helpers are up, failing the test if it
// does not return within a generous bound.
func wedgedCall(t *testing.T, r *Runtime, ctx context.Context, call func(context.Context, *Runtime) error) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() { ch <- call(ctx, r) }()
	select {
	case err := <-ch:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the invocation did not return within 30s")
	}
	return nil
}

// wedgedGone waits (bounded) until both helpers of the script are gone.
func wedgedGone(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("the script's helpers wrote %d pid files, want 2", len(entries))
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, e := range entries {
		_, pidText, _ := strings.Cut(e.Name(), ".")
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			t.Fatal(err)
		}
		for unix.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("helper %s (pid %d) still runs", e.Name(), pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
