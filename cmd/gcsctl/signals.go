package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// signalHandler takes an interrupt gcsctl received and reports whether it
// dealt with it; if not, the command is stopped.
type signalHandler func(sig os.Signal) bool

// watchSignals returns ctx ended by the first interrupt on signals that no
// handler set with handleSignals deals with. stop ends the watch.
func (s *session) watchSignals(ctx context.Context, signals <-chan os.Signal) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	if signals == nil {
		return ctx, func() { cancel(nil) }
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case sig := <-signals:
				if h := s.signalHandler.Load(); h != nil && (*h)(sig) {
					continue
				}
				cancel(&interruptError{sig: sig})
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		close(done)
		wg.Wait()
		cancel(nil)
	}
}

// handleSignals makes h deal with the interrupts gcsctl receives until the
// returned function is called.
func (s *session) handleSignals(h signalHandler) func() {
	s.signalHandler.Store(&h)
	return func() { s.signalHandler.Store(nil) }
}

// signalForwarder is the interrupt handler of an attached process, set
// before the process is started so that no interrupt can fall between
// its start and the handler: the first interrupt is sent to the process,
// as docker's sig-proxy does (SIGINT kills most processes, which then
// exit with 130), at once if the process has started, else as soon as
// started gives its pid; the next one is not dealt with, so that gcsctl
// abandons the start or kills the process.
type signalForwarder struct {
	s   *session
	ctx context.Context
	id  string

	mu      sync.Mutex
	pid     uint32         // 0 until started
	taken   bool           // the first interrupt came
	pending syscall.Signal // the first interrupt while pid was 0; 0 once sent
}

// forwardFirstSignal returns the forwarder of a process of container id
// about to be started; its handle method is the handler to set.
func (s *session) forwardFirstSignal(ctx context.Context, id string) *signalForwarder {
	return &signalForwarder{s: s, ctx: ctx, id: id}
}

// handle is the signalHandler: it takes the first interrupt.
func (f *signalForwarder) handle(sig os.Signal) bool {
	n, ok := sig.(syscall.Signal)
	f.mu.Lock()
	if !ok || f.taken {
		f.mu.Unlock()
		return false
	}
	f.taken = true
	pid := f.pid
	if pid == 0 {
		f.pending = n
	}
	f.mu.Unlock()
	if pid == 0 {
		fmt.Fprintf(f.s.stderr, "gcsctl: got %v while the process starts; it is sent to the process once started\n", sig)
		return true
	}
	return f.send(n, pid)
}

// started records the pid of the started process and sends it the
// interrupt that came while it started, if any. It returns false if that
// interrupt could not be sent: the process is to be stopped.
func (f *signalForwarder) started(pid uint32) bool {
	f.mu.Lock()
	f.pid = pid
	n := f.pending
	f.pending = 0
	f.mu.Unlock()
	return n == 0 || f.send(n, pid)
}

// send sends sig to process pid and reports whether it was sent.
func (f *signalForwarder) send(sig syscall.Signal, pid uint32) bool {
	rctx, cancel := f.s.requestContext(f.ctx)
	defer cancel()
	if err := f.s.client.SignalProcess(rctx, f.id, pid, int32(sig)); err != nil {
		fmt.Fprintf(f.s.stderr, "gcsctl: forward %v to process %d: %v\n", sig, pid, err)
		return false
	}
	fmt.Fprintf(f.s.stderr, "gcsctl: sent %v to process %d; interrupt again to kill it\n", sig, pid)
	return true
}
