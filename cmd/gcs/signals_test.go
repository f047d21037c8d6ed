package main

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestSignalWatch sends real signals to the test process, which the watch
// catches: the first ends the context, the second calls abort and, the
// daemon not having stopped, exit(1) once the grace is over.
func TestSignalWatch(t *testing.T) {
	for _, sigs := range [][2]syscall.Signal{
		{syscall.SIGTERM, syscall.SIGTERM},
		{syscall.SIGINT, syscall.SIGTERM},
		{syscall.SIGTERM, syscall.SIGINT},
	} {
		t.Run(sigs[0].String()+" then "+sigs[1].String(), func(t *testing.T) {
			aborted, exited := make(chan struct{}), make(chan int, 1)
			w := &signalWatch{log: testutil.Logger(t), grace: 50 * time.Millisecond,
				abort: func() { close(aborted) }, exit: func(code int) { exited <- code }}
			ctx, stop := w.start(context.Background())
			defer stop()
			within := func(what string, ch <-chan struct{}) {
				t.Helper()
				select {
				case <-ch:
				case <-time.After(30 * time.Second):
					t.Fatalf("%s did not happen", what)
				}
			}
			if err := syscall.Kill(syscall.Getpid(), sigs[0]); err != nil {
				t.Fatal(err)
			}
			within("the end of the context", ctx.Done())
			if w.cutShort() {
				t.Fatal("the teardown is cut short after one signal")
			}
			if err := syscall.Kill(syscall.Getpid(), sigs[1]); err != nil {
				t.Fatal(err)
			}
			within("abort", aborted)
			if !w.cutShort() {
				t.Error("cutShort is false after the second signal")
			}
			wantExit1(t, exited)
		})
	}
}

// TestSignalWatchStopUnderWay: once the daemon began to stop without a
// signal (the end of its stdin, Shutdown of the utility VM), the first
// signal is the one that cuts the teardown short: it ends the context,
// calls abort and, the daemon not having stopped, exit(1) after the grace.
func TestSignalWatchStopUnderWay(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			aborted, exited := make(chan struct{}), make(chan int, 1)
			w := &signalWatch{log: testutil.Logger(t), grace: 50 * time.Millisecond,
				abort: func() { close(aborted) }, exit: func(code int) { exited <- code }}
			ctx, stop := w.start(context.Background())
			defer stop()
			stopping := make(chan struct{})
			w.follow(stopping)
			close(stopping)
			if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			for what, ch := range map[string]<-chan struct{}{"the end of the context": ctx.Done(), "abort": aborted} {
				select {
				case <-ch:
				case <-time.After(30 * time.Second):
					t.Fatalf("%s did not happen after one signal during a stop under way", what)
				}
			}
			if !w.cutShort() {
				t.Error("cutShort is false after the signal")
			}
			wantExit1(t, exited)
		})
	}
}

// wantExit1 fails t unless exit(1) is called (the grace being over).
func wantExit1(t *testing.T, exited <-chan int) {
	t.Helper()
	select {
	case code := <-exited:
		if code != 1 {
			t.Errorf("exit(%d), want exit(1)", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("exit was not called after the grace")
	}
}
