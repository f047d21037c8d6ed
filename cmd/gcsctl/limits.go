package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// limitError is why a context gcsctl bounded by a time limit ended: it
// names what did not come in time and the limit, and the flag that sets
// it. It wraps context.DeadlineExceeded, which callers test for.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return context.DeadlineExceeded }

// timeoutCause is the cause of a context ended by --timeout d while
// gcsctl waited for awaited ("answer", "connection").
func timeoutCause(awaited string, d time.Duration) error {
	return &limitError{msg: fmt.Sprintf("no %s within --timeout %s", awaited, d)}
}

// withTimeout bounds ctx by --timeout d, unless d is zero, while gcsctl
// waits for awaited: the context's cause then says so (see timeoutCause).
func withTimeout(ctx context.Context, d time.Duration, awaited string) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, d, timeoutCause(awaited, d))
}

// interruptError is why a context ended when gcsctl was interrupted. It
// wraps context.Canceled.
type interruptError struct{ sig os.Signal }

func (e *interruptError) Error() string { return "interrupted by " + signalName(e.sig) }
func (e *interruptError) Unwrap() error { return context.Canceled }

// signalName names sig as kill does ("SIGINT"), or as Go does when it is
// no system signal.
func signalName(sig os.Signal) string {
	if n, ok := sig.(unix.Signal); ok {
		if name := unix.SignalName(n); name != "" {
			return name
		}
	}
	return sig.String()
}
