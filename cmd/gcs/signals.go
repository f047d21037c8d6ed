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
// has not stopped grace later. A stop the daemon began without a signal
// (see follow) is already under way: the first signal is then the one
// that cuts it short. Every signal is logged.
type signalWatch struct {
	log   *logrus.Entry
	abort func()
	exit  func(code int)
	grace time.Duration

	ch      chan os.Signal
	follows chan (<-chan struct{}) // the daemon's Stopping, from follow
	done    chan struct{}          // closed by stop
	aborted chan struct{}          // closed when a signal cuts the teardown short
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
	w.follows = make(chan (<-chan struct{}), 1)
	w.done, w.aborted = make(chan struct{}), make(chan struct{})
	signal.Notify(w.ch, syscall.SIGTERM, syscall.SIGINT)
	go w.run(cancel)
	return ctx, func() {
		signal.Stop(w.ch)
		close(w.done)
		cancel()
	}
}

// follow tells the watch that stopping is closed once the daemon has
// begun to stop, for any reason (daemon.Daemon.Stopping): a signal's
// clean stop, or one the daemon began of itself (the end of its stdin, a
// Shutdown of the utility VM). Called once, after start.
func (w *signalWatch) follow(stopping <-chan struct{}) { w.follows <- stopping }

// cutShort reports whether a signal cut the teardown short: the second
// one, or the first during a stop the daemon began of itself.
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
	var stopping <-chan struct{}
	// next is what the next signal does: 1 a clean stop, 2 cut the stop
	// short, more nothing but a log line.
	next, received := 1, 0
	for {
		select {
		case <-w.done:
			return
		case ch := <-w.follows:
			stopping = ch
		case <-stopping:
			stopping, next = nil, stopUnderWay(w.log, next)
		case <-grace:
			w.log.WithField("grace", w.grace).Error("gcs: still not stopped after the signal that cut the teardown short; exiting now")
			w.exit(1)
			return
		case sig := <-w.ch:
			// A stop under way wins over a signal that came with it.
			select {
			case ch := <-w.follows:
				stopping = ch
			default:
			}
			select {
			case <-stopping:
				stopping, next = nil, stopUnderWay(w.log, next)
			default:
			}
			log := w.log.WithField("signal", sig.String())
			switch next {
			case 1:
				log.Info("gcs: stopping: tearing down the containers")
				cancel()
			case 2:
				what := "gcs: second signal"
				if received == 0 {
					what = "gcs: signal during a stop under way"
				}
				log.Warn(what + ": the teardown stops waiting; what is not torn down yet is left behind")
				grace = w.cutShortNow(cancel)
			default:
				log.Warn("gcs: already stopping without waiting")
			}
			next++
			received++
		}
	}
}

// stopUnderWay is what the next signal does (see run) once the daemon
// began to stop: if no signal asked for that stop, the next one cuts it
// short.
func stopUnderWay(log *logrus.Entry, next int) int {
	if next != 1 {
		return next
	}
	log.Debug("gcs: stopping without a signal; a signal now cuts the teardown short")
	return 2
}

// cutShortNow cuts the stop short: the context ends (if the first signal
// has not ended it: a stop the daemon began of itself still tears down
// under it), abort is called, and the grace after which the daemon exits
// regardless begins.
func (w *signalWatch) cutShortNow(cancel context.CancelFunc) <-chan time.Time {
	cancel()
	close(w.aborted)
	go w.abort() // may wait for start-up; the grace runs meanwhile
	return time.After(w.grace)
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
