package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/transport"
)

// cleanupTimeout bounds what gcsctl does after it was interrupted or a
// step failed: stopping the process, deleting the container, unmounting.
const cleanupTimeout = 30 * time.Second

// busyNotice is how long negotiation may take before gcsctl says that it
// is waiting for the bridge.
const busyNotice = 2 * time.Second

// session is what a command's action works with: a connected client, the
// global flags and gcsctl's standard streams.
type session struct {
	client *client.Client
	g      globals
	// connect connects to the GCS, for offline commands that may want to.
	connect        func(ctx context.Context, g globals) (*client.Client, error)
	stdin          io.Reader
	stdout, stderr io.Writer

	// signalHandler deals with interrupts while a process is attached.
	signalHandler atomic.Pointer[signalHandler]

	relayOnce sync.Once
	relay     transport.RelayListener
	relayErr  error
}

// requestContext bounds one request by --timeout, unless ctx is a
// cleanupContext: cleaning up after a request that outlived --timeout
// waits behind it, and has cleanupTimeout for all it does.
func (s *session) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Value(cleaningUp{}) != nil {
		return context.WithCancel(ctx)
	}
	return withTimeout(ctx, s.g.timeout, "answer")
}

// createAnswerLimit is how long gcsctl waits for the answer to a
// CreateContainer when --timeout was not given: the GCS's own bound on a
// runtime's create (2m, unless its -runtime-timeout says otherwise) and
// time for its reply, so that a create slow under load is not given up
// on while the GCS still works on it.
const createAnswerLimit = 2*time.Minute + 10*time.Second

// createContext bounds a CreateContainer request: by --timeout when it
// was given, else by the longer of its default and createAnswerLimit.
func (s *session) createContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.g.timeoutSet || s.g.timeout <= 0 || s.g.timeout >= createAnswerLimit || ctx.Value(cleaningUp{}) != nil {
		return s.requestContext(ctx)
	}
	return context.WithTimeoutCause(ctx, createAnswerLimit, &limitError{msg: fmt.Sprintf(
		"no answer within %s, gcsctl's limit for a create (--timeout sets another)", createAnswerLimit)})
}

// cleaningUp is the key of the value that marks a cleanupContext.
type cleaningUp struct{}

// requestLimit is --timeout as a time limit for the GCS: negative for none.
func (s *session) requestLimit() time.Duration {
	if s.g.timeout <= 0 {
		return -1
	}
	return s.g.timeout
}

// cleanupContext returns a context for undoing things after ctx ended
// (gcsctl was interrupted) or a step failed: it outlives ctx, bounded by
// cleanupTimeout, and its requests are not bounded by --timeout.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx = context.WithValue(context.WithoutCancel(ctx), cleaningUp{}, true)
	return context.WithTimeoutCause(ctx, cleanupTimeout,
		&limitError{msg: fmt.Sprintf("not done within %s, gcsctl's limit for cleaning up", cleanupTimeout)})
}

// negotiate sends NegotiateProtocol within --timeout.
func (s *session) negotiate(ctx context.Context) (*prot.NegotiateProtocolResponse, error) {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	stopNotice := s.noticeAfter(busyNotice, "gcsctl: waiting for the bridge at %s: the GCS serves one connection at a time and another holds it (an attached run?)...\n", s.g.addr)
	resp, err := s.client.Negotiate(ctx)
	stopNotice()
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w (the GCS serves one bridge connection at a time: another gcsctl, such as an attached run, may hold it; else the GCS is not answering)", err)
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// modify sends one ModificationRequest for container id (or the utility
// VM, prot.NullContainerID) within --timeout.
func (s *session) modify(ctx context.Context, id string, req *prot.ModificationRequest) error {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	return s.client.ModifySettings(ctx, id, req)
}

// relayListener returns the listener for relay ports under --relay.
func (s *session) relayListener() (transport.RelayListener, error) {
	s.relayOnce.Do(func() {
		s.relay, s.relayErr = transport.ParseRelayListener(s.g.relay)
	})
	return s.relay, s.relayErr
}

// printJSON writes v to stdout as indented JSON.
func (s *session) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	_, err = fmt.Fprintf(s.stdout, "%s\n", b)
	return err
}

// startedJSON is what run -d and pod run print with --json for each
// container started.
type startedJSON struct {
	ID  string `json:"id"`
	Pid uint32 `json:"pid"`
}

// printStarted prints that container id's init started with pid: "ID PID",
// or with --json an object.
func (s *session) printStarted(id string, pid uint32) error {
	if s.g.json {
		return s.printJSON(startedJSON{ID: id, Pid: pid})
	}
	_, err := fmt.Fprintf(s.stdout, "%s %d\n", id, pid)
	return err
}

// noticeAfter prints a notice to stderr unless the returned function is
// called within d; that function returns once the notice is printed or
// dropped, so stderr has one writer at a time.
func (s *session) noticeAfter(d time.Duration, format string, args ...any) func() {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			fmt.Fprintf(s.stderr, format, args...)
		case <-done:
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
