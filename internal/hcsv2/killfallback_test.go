package hcsv2

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/linux-gcs/gcs/internal/runtime"
)

func TestRuntimeKillFailed(t *testing.T) {
	forkErr := fmt.Errorf("runc kill: reaper: starting runc: %w",
		&os.PathError{Op: "fork/exec", Path: "/usr/bin/runc", Err: syscall.EAGAIN})
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"the runtime could not be forked (EAGAIN)", forkErr, true},
		{"the runtime could not be forked (ENOMEM)", fmt.Errorf("runc kill: %w", syscall.ENOMEM), true},
		{"the runtime timed out", fmt.Errorf("runc kill c: %w", runtime.ErrTimeout), true},
		{"the runtime failed for a reason of its own", &runtime.Error{Op: "runc kill", ID: "c", Message: "runtime: failed to create new OS thread"}, true},
		{"the container does not exist", &runtime.Error{Op: "runc kill", ID: "c", Kind: runtime.ErrNotFound}, false},
		{"the container is not running", &runtime.Error{Op: "runc kill", ID: "c", Kind: runtime.ErrNotRunning}, false},
		{"no error", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := runtimeKillFailed(tc.err); got != tc.want {
				t.Errorf("runtimeKillFailed(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
