package runtime

import (
	"errors"
	"time"
)

// ErrTimeout means a runtime invocation outlived its bound (see
// DefaultTimeout and Runtime.Timeout) and was killed, together with the
// processes it had started.
var ErrTimeout = errors.New("runtime invocation timed out")

// Default bounds of an invocation, by subcommand class.
const (
	// DefaultCreateTimeout bounds create, which sets up a whole container
	// (mounts, cgroups, namespaces, hooks).
	DefaultCreateTimeout = 2 * time.Minute
	// DefaultChangeTimeout bounds exec, start, delete and update.
	DefaultChangeTimeout = 30 * time.Second
	// DefaultQueryTimeout bounds kill, state, list and whatever else only
	// reads or signals.
	DefaultQueryTimeout = 10 * time.Second
)

// killGrace bounds the wait for a killed invocation to be reaped; one
// stuck in the kernel past it is left to the reaper.
const killGrace = 10 * time.Second

// waitDelay bounds the wait for the runtime's output pipes to close once
// it has exited, should something it started escape and hold them.
const waitDelay = 5 * time.Second

// DefaultTimeout returns the bound of subcommand op when Runtime.Timeout
// is zero.
func DefaultTimeout(op string) time.Duration {
	switch op {
	case "create":
		return DefaultCreateTimeout
	case "exec", "start", "delete", "update":
		return DefaultChangeTimeout
	default:
		return DefaultQueryTimeout
	}
}

// timeout returns the bound of subcommand op.
func (r *Runtime) timeout(op string) time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout(op)
}
