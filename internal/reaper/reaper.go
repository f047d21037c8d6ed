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
// in a loop) and hands each exit to whoever subscribed to that pid. While a
// Hold is in force it reaps only subscribed processes, so a process whose
// pid is still being learned keeps that pid (as a zombie at worst).
type Reaper struct {
	log          *logrus.Entry
	wasSubreaper bool
	holdMax      time.Duration
	listFailed   bool // listing children failed once (logged); guarded by mu
	// listChildren lists this process's children (listChildren; a test
	// stands in a listing that misses some, as the kernel's may).
	listChildren func() ([]child, error)

	mu        sync.Mutex
	closed    bool
	seq       uint64 // reaps so far
	subs      map[int][]*Process
	unclaimed *store
	holds     map[*Hold]struct{}

	sigc    chan os.Signal
	kick    chan struct{} // a hold ended: sweep what it kept
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
		holdMax:      DefaultHoldMax,
		listChildren: listChildren,
		subs:         make(map[int][]*Process),
		unclaimed:    newStore(maxUnclaimed, ttl),
		holds:        make(map[*Hold]struct{}),
		sigc:         make(chan os.Signal, 1),
		kick:         make(chan struct{}, 1),
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
	clear(r.holds)
	r.mu.Unlock()

	signal.Stop(r.sigc)
	close(r.done)
	<-r.stopped
	r.reap()

	r.mu.Lock()
	pending := 0
	for pid, procs := range r.subs {
		for _, p := range procs {
			p.abandonLocked()
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
// if pid already exited unclaimed, the newest stored exit of that pid is
// delivered at once. A bare pid cannot tell processes that had the same
// pid apart: to learn the pid of a process being started, and be sure the
// exit is that process's, use Hold and Hold.Track instead.
//
// The channel is buffered and receives exactly one Exit; it is closed
// without one if the Reaper is closed first. An exit goes to every
// subscriber registered when it is reaped; a later Subscribe only finds an
// exit nobody had claimed. A pid that neither runs nor has a stored exit
// (it ended more than DefaultUnclaimedTTL ago, or is not our descendant)
// never delivers; that is logged.
func (r *Reaper) Subscribe(pid int) <-chan Exit {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := newProcess(r, pid, -1)
	if r.closed {
		p.abandonLocked()
		return p.exit
	}
	// kill(0) and kill(-n) address process groups: never probe those.
	// A pid that runs (or is an unreaped zombie) now is not the owner of
	// any stored exit; those stay for whoever can tell them apart.
	alive := pid > 0 && unix.Kill(pid, 0) != unix.ESRCH
	if !alive {
		if e, ok := r.unclaimed.take(pid, time.Now()); ok {
			p.deliverLocked(e)
			return p.exit
		}
		r.log.WithField("pid", pid).Warn("subscribed to a pid that is not running and has no stored exit")
	}
	r.subs[pid] = append(r.subs[pid], p)
	return p.exit
}

func (r *Reaper) loop() {
	defer close(r.stopped)
	for {
		r.reap()
		var lapse <-chan time.Time
		var timer *time.Timer
		if d, ok := r.nextLapse(time.Now()); ok {
			timer = time.NewTimer(d)
			lapse = timer.C
		}
		select {
		case <-r.sigc:
		case <-r.kick:
		case <-lapse:
		case <-r.done:
		}
		if timer != nil {
			timer.Stop()
		}
		select {
		case <-r.done:
			return
		default:
		}
	}
}

// reap collects every child that has exited and may be reaped now, without
// blocking.
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

// reapOneLocked reaps exited children (one at least, when there is one)
// and delivers or stores their exits. It reports false when no child is
// left to reap right now. While a hold is in force only the children no
// hold covers are reaped (see Hold).
func (r *Reaper) reapOneLocked() bool {
	if since, ok := r.holdingLocked(time.Now()); ok {
		return r.reapHeldLocked(since)
	}
	return r.wait4Locked(-1)
}

// wait4Locked reaps pid (-1: any child) if it has exited, dispatching its
// exit, and reports whether it did.
func (r *Reaper) wait4Locked(which int) bool {
	var ws unix.WaitStatus
	var pid int
	var err error
	for {
		pid, err = unix.Wait4(which, &ws, unix.WNOHANG|unix.WALL, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		// ECHILD for one pid: a subscribed process that is not our child
		// (yet); it is reaped once it is.
		if err != unix.ECHILD {
			r.log.WithError(err).WithField("which", which).Error("wait4 failed")
		}
		return false
	}
	if pid <= 0 {
		return false
	}
	r.seq++
	r.dispatchLocked(Exit{Pid: pid, Status: ws, Time: time.Now(), seq: r.seq})
	return true
}

func (r *Reaper) dispatchLocked(e Exit) {
	log := r.log.WithFields(logrus.Fields{"pid": e.Pid, "code": e.Code()})
	procs, ok := r.subs[e.Pid]
	if ok {
		delete(r.subs, e.Pid)
		for _, p := range procs {
			p.deliverLocked(e)
		}
		log.Debug("reaped subscribed process")
		return
	}
	if dropped := r.unclaimed.put(e); dropped > 0 {
		log = log.WithField("dropped", dropped)
	}
	log.WithField("unclaimed", r.unclaimed.len()).Debug("reaped unclaimed process")
}
