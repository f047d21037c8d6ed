package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// signalHandler takes an interrupt gcsctl received and reports whether it
// dealt with it; if not, the command is stopped.
type signalHandler func(sig os.Signal) bool

// watchSignals returns ctx ended by the first interrupt on signals that no
// handler set with handleSignals deals with. stop ends the watch.
func (s *session) watchSignals(ctx context.Context, signals <-chan os.Signal) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	if signals == nil {
		return ctx, cancel
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
				cancel()
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		close(done)
		wg.Wait()
		cancel()
	}
}

// handleSignals makes h deal with the interrupts gcsctl receives until the
// returned function is called.
func (s *session) handleSignals(h signalHandler) func() {
	s.signalHandler.Store(&h)
	return func() { s.signalHandler.Store(nil) }
}

// forwardFirstSignal returns the handler of an attached process: the first
// interrupt is sent to process pid of container id, as docker's sig-proxy
// does (SIGINT kills most processes, which then exit with 130); the next
// one is not dealt with, so that gcsctl kills the process.
func (s *session) forwardFirstSignal(ctx context.Context, id string, pid uint32) signalHandler {
	var forwarded atomic.Bool
	return func(sig os.Signal) bool {
		n, ok := sig.(syscall.Signal)
		if !ok || forwarded.Swap(true) {
			return false
		}
		rctx, cancel := s.requestContext(ctx)
		defer cancel()
		if err := s.client.SignalProcess(rctx, id, pid, int32(n)); err != nil {
			fmt.Fprintf(s.stderr, "gcsctl: forward %v to process %d: %v\n", sig, pid, err)
			return false
		}
		fmt.Fprintf(s.stderr, "gcsctl: sent %v to process %d; interrupt again to kill it\n", sig, pid)
		return true
	}
}
