package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// recordCalls makes e's runtime a wrapper of the same name that logs the
// arguments of every invocation before running the real one, and returns
// a function listing the subcommands run so far.
func recordCalls(t *testing.T, e *env) func() []string {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	wrapper := filepath.Join(dir, filepath.Base(e.rt.Command))
	script := "#!/bin/sh\necho \"$*\" >>" + log + "\nexec " + e.rt.Command + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	e.rt.Command = wrapper
	return func() []string {
		b, err := os.ReadFile(log)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		var subs []string
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			// --root R --log L --log-format json SUB ...
			if f := strings.Fields(line); len(f) > 6 {
				subs = append(subs, f[6])
			}
		}
		return subs
	}
}

// fifoPath is the exec fifo of container id under e's runtime root.
func (e *env) fifoPath(id string) string {
	return filepath.Join(e.rt.Root, id, "exec.fifo")
}

func TestStartWithoutRuntimeCommand(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, e *env) {
		calls := recordCalls(t, e)
		c := e.create(t, "fast", CreateOpts{}, "sleep", "3600")
		if err := e.rt.Start(testCtx(t), c.id, c.startOpts()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		if subs := calls(); slices.Contains(subs, "start") {
			t.Errorf("runtime invocations = %v, want no start", subs)
		}
		if st, err := e.rt.State(testCtx(t), c.id); err != nil || st.Status != "running" || st.Pid != c.pid {
			t.Fatalf("State after start = %+v, %v; want running with pid %d", st, err, c.pid)
		}
		if _, err := os.Lstat(e.fifoPath(c.id)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("exec fifo after start: %v, want it gone", err)
		}
		// A second start is the runtime's to refuse.
		if err := e.rt.Start(testCtx(t), c.id, c.startOpts()); err == nil {
			t.Error("second Start succeeded")
		}
		if err := e.rt.Kill(testCtx(t), c.id, unix.SIGKILL, false); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		if x := waitExit(t, "init", c.exit); x.Code() != 137 {
			t.Errorf("init exit = %s, want killed (the user process ran)", x)
		}
	})
}

func TestStartLeftToRuntimeCommand(t *testing.T) {
	tests := []struct {
		name string
		// prepare changes the created container c.
		prepare func(t *testing.T, e *env, c *container)
		hooks   bool
		// want is what Start must return: "ok", "error", or "any" (what
		// the runtime makes of it is its own business).
		want string
	}{
		{name: "symlinked fifo", want: "ok", prepare: func(t *testing.T, e *env, c *container) {
			p := e.fifoPath(c.id)
			if err := os.Rename(p, p+".real"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("exec.fifo.real", p); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "regular file for the fifo", want: "any", prepare: func(t *testing.T, e *env, c *container) {
			p := e.fifoPath(c.id)
			if err := os.Rename(p, p+".real"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "hooks", hooks: true, want: "ok", prepare: func(*testing.T, *env, *container) {}},
		{name: "init ended", want: "error", prepare: func(t *testing.T, e *env, c *container) {
			if err := unix.Kill(c.pid, unix.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitExit(t, "init", c.exit)
		}},
	}
	forEachRuntime(t, func(t *testing.T, e *env) {
		calls := recordCalls(t, e)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := "slow" + string(rune('a'+i))
				s := e.spec(id, "sleep", "3600")
				if tt.hooks {
					// The hook reads the state it is given: crun 1.8.1 dies
					// of SIGPIPE when a hook exits before taking it.
					s.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "cat >/dev/null"}}}}
				}
				c, err := e.tryCreate(t, id, s, CreateOpts{})
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				tt.prepare(t, e, c)
				before := len(calls())
				err = e.rt.Start(testCtx(t), c.id, c.startOpts())
				if subs := calls()[before:]; !slices.Contains(subs, "start") {
					t.Errorf("runtime invocations = %v, want a start", subs)
				}
				if tt.want != "any" && (tt.want == "ok") != (err == nil) {
					t.Fatalf("Start: %v, want %s", err, tt.want)
				}
				if tt.want == "ok" {
					if st, err := e.rt.State(testCtx(t), c.id); err != nil || st.Status != "running" {
						t.Errorf("State after start = %+v, %v; want running", st, err)
					}
				}
			})
		}
	})
}
