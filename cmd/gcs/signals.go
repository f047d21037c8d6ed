package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
)

// abortGrace bounds what is left of the daemon's stop once a second signal
// cut its teardown short: the teardown's waits end at once, and this is
// the margin for the rest (cgroups, the reaper) before the process exits
// regardless.
const abortGrace = 10 * time.Second

// signalWatch turns SIGTERM and SIGINT into the daemon's stop: the first
// ends the context the daemon runs under (a clean stop: containers torn
// down, cgroups removed); a second one calls abort, so that the teardown
// stops waiting for what is slow to go, and exit(1) if the daemon still
// has not stopped grace later. Every signal is logged.
type signalWatch struct {
	log   *logrus.Entry
	abort func()
	exit  func(code int)
	grace time.Duration

	ch      chan os.Signal
	done    chan struct{} // closed by stop
	aborted chan struct{} // closed at the second signal
}

// watchSignals starts watching; stop ends the watch (and the returned
// context). abort is called on a goroutine of its own, exit on the
// watch's.
func watchSignals(parent context.Context, log *logrus.Entry, abort func(), exit func(code int)) (ctx context.Context, w *signalWatch, stop func()) {
	w = &signalWatch{log: log, abort: abort, exit: exit, grace: abortGrace}
	ctx, stop = w.start(parent)
	return ctx, w, stop
}

// start registers for the signals and runs the watch until stop.
func (w *signalWatch) start(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	w.ch = make(chan os.Signal, 4)
	w.done, w.aborted = make(chan struct{}), make(chan struct{})
	signal.Notify(w.ch, syscall.SIGTERM, syscall.SIGINT)
	go w.run(cancel)
	return ctx, func() {
		signal.Stop(w.ch)
		close(w.done)
		cancel()
	}
}

// cutShort reports whether a second signal cut the teardown short.
func (w *signalWatch) cutShort() bool {
	select {
	case <-w.aborted:
		return true
	default:
		return false
	}
}

func (w *signalWatch) run(cancel context.CancelFunc) {
	var grace <-chan time.Time
	for n := 1; ; n++ {
		select {
		case <-w.done:
			return
		case <-grace:
			w.log.WithField("grace", w.grace).Error("gcs: still not stopped after the second signal; exiting now")
			w.exit(1)
			return
		case sig := <-w.ch:
			switch log := w.log.WithField("signal", sig.String()); n {
			case 1:
				log.Info("gcs: stopping: tearing down the containers")
				cancel()
			case 2:
				log.Warn("gcs: second signal: the teardown stops waiting; what is not torn down yet is left behind")
				close(w.aborted)
				go w.abort() // may wait for start-up; the grace runs meanwhile
				t := time.NewTimer(w.grace)
				defer t.Stop()
				grace = t.C
			default:
				log.Warn("gcs: already stopping without waiting")
			}
		}
	}
}

// surviveBrokenPipes makes a write to a pipe whose reader is gone fail
// with EPIPE instead of killing the daemon: unless SIGPIPE is handled, Go
// ends a program that writes to a broken pipe on descriptor 1 or 2, which
// are the log (stderr) and, with -use-inouterr, the bridge (stdout). A
// handler rather than SIG_IGN, which children would inherit: the runtime
// and containers get SIGPIPE's default back at exec. The returned func
// undoes it.
func surviveBrokenPipes() (stop func()) {
	ch := make(chan os.Signal, 1) // never read: the signals are dropped
	signal.Notify(ch, syscall.SIGPIPE)
	return func() { signal.Stop(ch) }
}
