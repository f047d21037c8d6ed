package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/containerd/console"
)

// terminal is gcsctl's own terminal for -t: the one its stdin is, put in
// raw mode so that keys reach the process as typed, and the one whose
// window size the process's terminal follows (stdout's, else stdin's).
// It is the console of console.Current, taken from the streams gcsctl was
// given rather than from the process's.
type terminal struct {
	raw  console.Console // stdin's terminal once made raw, to reset
	size console.Console // nil when neither stream is a terminal
}

// openTerminal finds gcsctl's terminal and, if makeRaw, puts stdin's in
// raw mode. Streams that are not terminals are left alone; with neither a
// terminal, the process still gets one but nothing is forwarded.
func openTerminal(stdin io.Reader, stdout io.Writer, makeRaw bool) (*terminal, error) {
	in, out := consoleOf(stdin), consoleOf(stdout)
	t := &terminal{size: out}
	if t.size == nil {
		t.size = in
	}
	if makeRaw && in != nil {
		if err := in.SetRaw(); err != nil {
			return nil, fmt.Errorf("put the terminal in raw mode: %w", err)
		}
		t.raw = in
	}
	return t, nil
}

// consoleOf returns the terminal stream v is, or nil.
func consoleOf(v any) console.Console {
	f, ok := v.(console.File)
	if !ok {
		return nil
	}
	c, err := console.ConsoleFromFile(f)
	if err != nil {
		return nil
	}
	return c
}

// restore undoes raw mode.
func (t *terminal) restore() {
	if t.raw != nil {
		_ = t.raw.Reset()
	}
}

// forwardSize sets the size of process pid's terminal to the local one's,
// now and at every SIGWINCH, until the returned stop is called. Failures
// are ignored: the process may already have exited.
func (t *terminal) forwardSize(ctx context.Context, s *session, id string, pid uint32) (stop func()) {
	if t.size == nil {
		return func() {}
	}
	resize := func() {
		ws, err := t.size.Size()
		if err != nil || ws.Height == 0 || ws.Width == 0 {
			return
		}
		rctx, cancel := s.requestContext(ctx)
		defer cancel()
		_ = s.client.ResizeConsole(rctx, id, pid, ws.Height, ws.Width)
	}
	resize()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-winch:
				resize()
			case <-done:
				return
			}
		}
	})
	return func() {
		signal.Stop(winch)
		close(done)
		wg.Wait()
	}
}
