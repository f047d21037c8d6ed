package reaper

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"time"
	"unsafe"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// ErrClosed is returned when the Reaper was closed before it could deliver
// an exit or start a command.
var ErrClosed = errors.New("reaper closed")

// Reaper reaps every child of this process on SIGCHLD (wait4(-1, WNOHANG)
// in a loop) and hands each exit to whoever subscribed to that pid.
type Reaper struct {
	log          *logrus.Entry
	wasSubreaper bool

	mu        sync.Mutex
	closed    bool
	subs      map[int][]chan Exit
	unclaimed *store

	sigc    chan os.Signal
	done    chan struct{}
	stopped chan struct{}
}

// New makes this process the child subreaper (PR_SET_CHILD_SUBREAPER) and
// starts the reap loop. A nil log logs to the standard logrus logger.
// Call Close to stop it.
func New(log *logrus.Entry) (*Reaper, error) {
	return newReaper(log, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
}

func newReaper(log *logrus.Entry, maxUnclaimed int, ttl time.Duration) (*Reaper, error) {
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	was, err := isSubreaper()
	if err != nil {
		return nil, err
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("reaper: becoming child subreaper: %w", err)
	}
	r := &Reaper{
		log:          log,
		wasSubreaper: was,
		subs:         make(map[int][]chan Exit),
		unclaimed:    newStore(maxUnclaimed, ttl),
		sigc:         make(chan os.Signal, 1),
		done:         make(chan struct{}),
		stopped:      make(chan struct{}),
	}
	// Notify before the first sweep so no SIGCHLD falls between them.
	signal.Notify(r.sigc, unix.SIGCHLD)
	go r.loop()
	return r, nil
}

func isSubreaper() (bool, error) {
	var v int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0); err != nil {
		return false, fmt.Errorf("reaper: reading child subreaper flag: %w", err)
	}
	return v != 0, nil
}

// Close stops the reap loop after a last sweep, closes the channels of
// subscribers still waiting (they receive no Exit) and restores the child
// subreaper flag this process had before New. After Close, commands started
// through Start are waited for by Wait with os/exec itself.
func (r *Reaper) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()

	signal.Stop(r.sigc)
	close(r.done)
	<-r.stopped
	r.reap()

	r.mu.Lock()
	pending := 0
	for pid, chans := range r.subs {
		for _, c := range chans {
			close(c)
		}
		pending++
		delete(r.subs, pid)
	}
	r.mu.Unlock()
	if pending > 0 {
		r.log.WithField("pending", pending).Debug("reaper closed with subscribers still waiting")
	}

	if !r.wasSubreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0); err != nil {
			return fmt.Errorf("reaper: clearing child subreaper flag: %w", err)
		}
	}
	return nil
}

// Subscribe returns a channel that receives the exit of pid, a process that
// is not necessarily our direct child yet (one read from a pid file, say):
// if pid already exited unclaimed, the stored exit is delivered at once.
// The channel is buffered and receives exactly one Exit; it is closed
// without one if the Reaper is closed first. An exit goes to every
// subscriber registered when it is reaped; a later Subscribe only finds an
// exit nobody had claimed. A pid that neither runs nor
// has a stored exit (it ended more than DefaultUnclaimedTTL ago, or is not
// our descendant) never delivers; that is logged.
func (r *Reaper) Subscribe(pid int) <-chan Exit {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := make(chan Exit, 1)
	if r.closed {
		close(c)
		return c
	}
	// kill(0) and kill(-n) address process groups: never probe those.
	alive := pid > 0 && unix.Kill(pid, 0) != unix.ESRCH
	if alive {
		// The pid runs (or is an unreaped zombie) now, so any stored exit
		// belongs to an earlier process that had the same pid.
		r.unclaimed.drop(pid)
	} else if e, ok := r.unclaimed.take(pid, time.Now()); ok {
		c <- e
		return c
	} else {
		r.log.WithField("pid", pid).Warn("subscribed to a pid that is not running and has no stored exit")
	}
	r.subs[pid] = append(r.subs[pid], c)
	return c
}

// subscribeStartedLocked registers a subscription for a child we just
// started. r.mu must be held since before the child was forked.
func (r *Reaper) subscribeStartedLocked(pid int) chan Exit {
	r.unclaimed.drop(pid)
	c := make(chan Exit, 1)
	r.subs[pid] = append(r.subs[pid], c)
	return c
}

func (r *Reaper) loop() {
	defer close(r.stopped)
	for {
		r.reap()
		select {
		case <-r.sigc:
		case <-r.done:
			return
		}
	}
}

// reap collects every child that has exited, without blocking.
func (r *Reaper) reap() {
	for {
		r.mu.Lock()
		ok := r.reapOneLocked()
		r.mu.Unlock()
		if !ok {
			return
		}
	}
}

// reapOneLocked reaps one exited child and delivers or stores its exit.
// It reports false when no child is left to reap right now.
func (r *Reaper) reapOneLocked() bool {
	var ws unix.WaitStatus
	var pid int
	var err error
	for {
		pid, err = unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		if err != unix.ECHILD {
			r.log.WithError(err).Error("wait4 failed")
		}
		return false
	}
	if pid <= 0 {
		return false
	}
	e := Exit{Pid: pid, Status: ws, Time: time.Now()}
	r.dispatchLocked(e)
	return true
}

func (r *Reaper) dispatchLocked(e Exit) {
	log := r.log.WithFields(logrus.Fields{"pid": e.Pid, "code": e.Code()})
	chans, ok := r.subs[e.Pid]
	if ok {
		delete(r.subs, e.Pid)
		for _, c := range chans {
			c <- e
		}
		log.Debug("reaped subscribed process")
		return
	}
	if dropped := r.unclaimed.put(e); dropped > 0 {
		log = log.WithField("dropped", dropped)
	}
	log.WithField("unclaimed", r.unclaimed.len()).Debug("reaped unclaimed process")
}
