package policy

import (
	"context"

	"github.com/linux-gcs/gcs/internal/policy/engine"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Decision is an allowed request: what the policy answered, and the means
// to keep or undo what it recorded.
type Decision struct {
	// Rule is the enforcement point.
	Rule string
	// Result is the decision object the policy returned, defaults applied,
	// without its metadata operations.
	Result map[string]any
	// Env is the environment the process may have: the requested one, less
	// what the policy dropped (create_container, exec_in_container,
	// exec_external).
	Env []string
	// Capabilities are the capabilities the process may keep, nil where the
	// request had none (create_container, exec_in_container).
	Capabilities *specs.LinuxCapabilities
	// AllowStdioAccess tells whether the host may see the process's stdio
	// (create_container, exec_external; for exec_in_container that of its
	// container).
	AllowStdioAccess bool
	// Providers are the log providers kept (log_provider).
	Providers []string
	// Recorded are the metadata operations the decision applied (what
	// Rollback undoes), in order.
	Recorded []engine.Op

	commit   func()
	rollback func(context.Context) error
	// engine is the Rego engine whose transaction the decision holds.
	engine *engine.Engine
}

type joinKey struct{}

// Join returns a context under which the enforcer's further decisions
// join d, for an operation that needs several (a scratch and its
// overlay): they do not wait for d, record into d's transaction, and are
// kept or undone when d is committed or rolled back (their own Commit and
// Rollback do nothing). d must still be pending.
func Join(ctx context.Context, d *Decision) context.Context {
	return context.WithValue(ctx, joinKey{}, d)
}

// Commit keeps what the decision recorded. Calling it again, or after
// Rollback, does nothing.
func (d *Decision) Commit() {
	if d != nil && d.commit != nil {
		d.commit()
		d.commit, d.rollback = nil, nil
	}
}

// Rollback undoes what the decision recorded, for an operation that failed
// after it was allowed. Calling it again, or after Commit, does nothing.
func (d *Decision) Rollback(ctx context.Context) error {
	if d == nil || d.rollback == nil {
		return nil
	}
	rb := d.rollback
	d.commit, d.rollback = nil, nil
	return rb(ctx)
}
