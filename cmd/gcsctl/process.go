package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/linux-gcs/gcs/internal/prot"
)

// stdioMode is how a process's stdio is attached to gcsctl's.
type stdioMode struct {
	tty   bool // the process has a terminal (-t)
	stdin bool // gcsctl's stdin is attached (-i)
}

// streams returns the streams to request: a terminal carries all output on
// stdout.
func (m stdioMode) streams() streams {
	return streams{stdin: m.stdin, stdout: true, stderr: !m.tty}
}

// startFunc sends the ExecuteProcess that starts a process, whose stdio
// flags are set in params and relay ports in relay, and returns its pid.
type startFunc func(ctx context.Context, params *prot.ProcessParameters, relay prot.ExecuteProcessVsockStdioRelaySettings) (uint32, error)

// killFunc ends a process after gcsctl was interrupted.
type killFunc func(ctx context.Context, pid uint32) error

// runAttached starts a process of container id with start, its stdio
// attached to gcsctl's as mode says, and returns its exit code once it has
// exited and its output has been copied. With a terminal the local one is
// put in raw mode (with -i) for the duration and its size is forwarded.
// The first interrupt gcsctl receives is sent to the process; when ctx
// ends (gcsctl was interrupted again) kill ends the process and its exit
// code is still returned.
func (s *session) runAttached(ctx context.Context, id string, mode stdioMode, start startFunc, kill killFunc) (uint32, error) {
	var term *terminal
	if mode.tty {
		t, err := openTerminal(s.stdin, s.stdout, mode.stdin)
		if err != nil {
			return 0, err
		}
		defer t.restore()
		term = t
	}
	a, err := s.attach(ctx, mode.streams())
	if err != nil {
		return 0, err
	}
	defer a.close()
	params := new(prot.ProcessParameters)
	a.setPipes(params)
	// The handler is set before the start: an interrupt that comes once
	// the process may run (its output may be out before ExecuteProcess's
	// answer) is the process's, never a reason to kill it.
	fwd := s.forwardFirstSignal(ctx, id)
	stopHandling := s.handleSignals(fwd.handle)
	defer stopHandling()
	rctx, cancel := s.requestContext(ctx)
	pid, err := start(rctx, params, a.settings)
	cancel()
	if err != nil {
		return 0, err
	}
	if !fwd.started(pid) {
		kctx, cancel := cleanupContext(ctx)
		defer cancel()
		if err := kill(kctx, pid); err != nil {
			return 0, fmt.Errorf("stop process %d after an interrupt: %w", pid, err)
		}
	}
	if err := a.connect(ctx); err != nil {
		kctx, cancel := cleanupContext(ctx)
		defer cancel()
		return 0, errors.Join(err, kill(kctx, pid))
	}
	a.copyOutput(s.stdout, s.stderr)
	if term != nil {
		// Before any input, so that the process sees its size first.
		stop := term.forwardSize(ctx, s, id, pid)
		defer stop()
	}
	input, detached := io.Reader(s.stdin), (<-chan struct{})(nil)
	if term != nil && mode.stdin {
		input, detached = newDetachReader(s.stdin)
	}
	a.copyInput(input)
	code, err := s.waitExit(ctx, id, pid, kill, detached)
	if err != nil {
		return 0, err
	}
	a.finish()
	return code, nil
}

// waitExit waits for process pid of container id to exit and returns its
// exit code. If ctx ends first, kill ends the process and the same wait
// goes on, within cleanupTimeout: a second wait could miss the code, since
// the GCS forgets an exec once a wait has had its exit code. When detached
// is closed (the user typed the detach keys) it returns errDetached at once.
func (s *session) waitExit(ctx context.Context, id string, pid uint32, kill killFunc, detached <-chan struct{}) (uint32, error) {
	type result struct {
		code uint32
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Ended by the answer, or by the client's Close when gcsctl gives up.
		code, err := s.client.WaitForProcess(context.WithoutCancel(ctx), id, pid, -1)
		done <- result{code, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-detached:
		return 0, errDetached
	case <-ctx.Done():
		kctx, cancel := cleanupContext(ctx)
		defer cancel()
		if err := kill(kctx, pid); err != nil {
			return 0, fmt.Errorf("stop process %d after an interrupt: %w", pid, err)
		}
		select {
		case r = <-done:
		case <-kctx.Done():
			return 0, fmt.Errorf("wait for process %d after stopping it: %w", pid, context.Cause(kctx))
		}
	}
	if r.err != nil {
		return 0, fmt.Errorf("wait for process %d: %w", pid, r.err)
	}
	return r.code, nil
}
