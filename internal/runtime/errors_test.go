package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestErrorsProvoked provokes every classified failure with the real
// runtime, checks its sentinel and logs the runtime's words.
func TestErrorsProvoked(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, e *env) {
		running := e.run(t, "running", "sleep", "3600")
		stopped := e.run(t, "stopped", "sleep", "3600")
		if err := e.rt.Kill(testCtx(t), stopped.id, unix.SIGKILL, false); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		waitExit(t, "stopped init", stopped.exit)

		tests := []struct {
			name string
			do   func(ctx context.Context) error
			want error // nil: an *Error matching none of the sentinels
			// contains is part of the message the runtime must give.
			contains string
		}{
			{"create existing", func(ctx context.Context) error {
				_, err := e.rt.Create(ctx, running.id, e.writeBundle(t, "dup", e.spec("dup", "true")), CreateOpts{})
				return err
			}, ErrExists, "exists"},
			{"delete running", func(ctx context.Context) error {
				return e.rt.Delete(ctx, running.id, false)
			}, ErrNotStopped, running.id},
			{"kill stopped", func(ctx context.Context) error {
				return e.rt.Kill(ctx, stopped.id, unix.SIGTERM, false)
			}, ErrNotRunning, ""},
			{"state missing", func(ctx context.Context) error {
				_, err := e.rt.State(ctx, "missing")
				return err
			}, ErrNotFound, ""},
			{"start missing", func(ctx context.Context) error {
				return e.rt.Start(ctx, "missing", StartOpts{})
			}, ErrNotFound, ""},
			{"kill missing", func(ctx context.Context) error {
				return e.rt.Kill(ctx, "missing", unix.SIGKILL, false)
			}, ErrNotFound, ""},
			{"delete missing", func(ctx context.Context) error {
				return e.rt.Delete(ctx, "missing", false)
			}, ErrNotFound, ""},
			{"exec missing container", func(ctx context.Context) error {
				_, err := e.rt.Exec(ctx, "missing", e.process("true"), ExecOpts{})
				return err
			}, ErrNotFound, ""},
			{"update missing", func(ctx context.Context) error {
				return e.rt.Update(ctx, "missing", memoryLimit(64<<20))
			}, ErrNotFound, ""},
			{"invalid id", func(ctx context.Context) error {
				_, err := e.tryCreate(t, "a/b", e.spec("invalid", "true"), CreateOpts{})
				return err
			}, ErrInvalidID, ""},
			{"exec missing binary", func(ctx context.Context) error {
				_, err := e.rt.Exec(ctx, running.id, e.process("/no/such/binary"), ExecOpts{})
				return err
			}, nil, "/no/such/binary"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.do(testCtx(t))
				var rerr *Error
				if !errors.As(err, &rerr) {
					t.Fatalf("error = %v, want *Error", err)
				}
				t.Logf("%s says: %q", rerr.Op, rerr.Message)
				if tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("error %q is not %v", err, tt.want)
				}
				if tt.want == nil && rerr.Kind != nil {
					t.Errorf("error %q classified as %v, want no sentinel", err, rerr.Kind)
				}
				if !strings.Contains(rerr.Message, tt.contains) {
					t.Errorf("message %q does not contain %q", rerr.Message, tt.contains)
				}
				if !strings.HasPrefix(err.Error(), rerr.Op+": ") || !strings.HasSuffix(err.Error(), ": "+strings.TrimPrefix(rerr.Message, rerr.Op+" failed: ")) {
					t.Errorf("error %q is not %q followed by the message", err, rerr.Op)
				}
			})
		}
	})
}

// TestClassify checks the classification table against the messages runc
// 1.1.5 and crun 1.8.1 print (as TestErrorsProvoked logs them).
func TestClassify(t *testing.T) {
	tests := []struct {
		runtime, id, msg string
		want             error
	}{
		{"runc", "x", "container does not exist", ErrNotFound},
		{"runc", "x", "exec failed: container does not exist", ErrNotFound},
		{"crun", "x", "error opening file `/run/crun/x/status`: No such file or directory", ErrNotFound},
		{"crun", "x", "cannot open directory '/run/crun/x': No such file or directory", ErrNotFound},
		{"runc", "x", "runc create failed: container with given ID already exists", ErrExists},
		{"crun", "x", "container `x` already exists", ErrExists},
		{"runc", "x", "cannot delete container x that is not stopped: running", ErrNotStopped},
		{"crun", "x", "the container `x` is not in `created` or `stopped` state", ErrNotStopped},
		{"runc", "x", "container not running", ErrNotRunning},
		{"crun", "x", "open pidfd: No such process", ErrNotRunning},
		{"runc", "a/b", "runc create failed: invalid container ID format", ErrInvalidID},
		{"runc", "a/b", "invalid container ID format", ErrInvalidID},
		{"crun", "a/b", "cannot create state directory for `a/b`", ErrInvalidID},
		{"crun", "x", "cannot create state directory for `x`", nil},
		{"runc", "x", `exec failed: unable to start container process: exec: "/nonexist": stat /nonexist: no such file or directory`, nil},
		{"crun", "x", "executable file `/nonexist` not found in $PATH: No such file or directory", nil},
		{"crun", "x", "cgroups in hybrid mode not supported, drop all controllers from cgroupv2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.runtime+" "+tt.msg, func(t *testing.T) {
			if got := classify(tt.msg, tt.id); got != tt.want {
				t.Errorf("classify(%q, %q) = %v, want %v", tt.msg, tt.id, got, tt.want)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		op, msg, want string
	}{
		{"runc delete", "container does not exist", "runc delete: container does not exist"},
		{"runc create", "runc create failed: container with given ID already exists", "runc create: container with given ID already exists"},
		{"crun create", "container `x` already exists", "crun create: container `x` already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := (&Error{Op: tt.op, Message: tt.msg}).Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
