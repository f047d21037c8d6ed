package reaper

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultHoldMax is how long a Hold keeps unsubscribed children unreaped
// at most; a hold still open then lapses (and is logged), so a stuck
// caller cannot stop the reaping of orphans for good.
const DefaultHoldMax = 30 * time.Second

// Hold keeps the Reaper from reaping any child nobody subscribed to that
// was started after the hold began, from Hold until Release: a process
// started meanwhile by someone else (runc exec, runc create) keeps its
// pid, as a zombie at worst, until Track has pinned it. Without that, a
// process that exits before its pid is known could be reaped, its pid
// reused, and the pid read from a pid file would name a stranger.
// Children started before the hold began cannot be the one it waits for
// and are reaped as usual, so holds that overlap without a gap (a stream
// of execs) keep no zombie longer than the oldest of them lasts.
type Hold struct {
	r        *Reaper
	seq      uint64 // reaps before the hold began
	begin    ticks  // when the hold began (CLOCK_BOOTTIME)
	deadline time.Time
	once     sync.Once
}

// Hold begins a hold. Release it as soon as the processes it covers are
// tracked; it lapses by itself after DefaultHoldMax.
func (r *Reaper) Hold() *Hold {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := &Hold{r: r, seq: r.seq, begin: bootTicks(), deadline: time.Now().Add(r.holdMax)}
	if !r.closed {
		r.holds[h] = struct{}{}
	}
	return h
}

// Release ends the hold; children it kept unreaped are reaped now. It is
// idempotent.
func (h *Hold) Release() {
	h.once.Do(func() {
		h.r.mu.Lock()
		delete(h.r.holds, h)
		h.r.mu.Unlock()
		select {
		case h.r.kick <- struct{}{}:
		default:
		}
	})
}

// Track pins pid, a process started after the hold began (its pid read
// from a pid file), and returns it. The exit Track's Process receives is
// that process's, even if the pid is reused later. If the process is
// already gone (the hold lapsed and it was reaped), its exit is the first
// exit of pid reaped since the hold began.
func (h *Hold) Track(pid int) (*Process, error) {
	r := h.r
	if pid <= 0 {
		return nil, fmt.Errorf("reaper: track pid %d: not a process id", pid)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("reaper: track pid %d: %w", pid, ErrClosed)
	}
	if e, ok := r.unclaimed.takeAfter(pid, h.seq, time.Now()); ok {
		p := newProcess(r, pid, -1)
		p.deliverLocked(e)
		return p, nil
	}
	fd, err := openPidfd(pid)
	if err != nil {
		if err == unix.ESRCH {
			return nil, fmt.Errorf("reaper: track pid %d: gone, and its exit was not kept", pid)
		}
		return nil, fmt.Errorf("reaper: track pid %d: open pidfd: %w", pid, err)
	}
	p := newProcess(r, pid, fd)
	r.subs[pid] = append(r.subs[pid], p)
	return p, nil
}

// holdingLocked reports whether a hold is in force at now, and when the
// oldest of those began, dropping (and logging) those that lapsed. r.mu
// must be held.
func (r *Reaper) holdingLocked(now time.Time) (since ticks, holding bool) {
	for h := range r.holds {
		if now.Before(h.deadline) {
			if !holding || h.begin < since {
				since = h.begin
			}
			holding = true
			continue
		}
		delete(r.holds, h)
		r.log.WithField("after", r.holdMax).Warn("reaper hold lapsed before it was released")
	}
	return since, holding
}

// reapHeldLocked reaps, while holds are in force, the exited children
// none of them covers: subscribed ones, and those started before the
// oldest hold in force began (a tick earlier at least, since start times
// are counted in ticks). It reports whether it reaped any. r.mu must be
// held.
func (r *Reaper) reapHeldLocked(since ticks) bool {
	// Subscribed children first, each by its pid: the listing below may
	// miss a child while others fork or exit (the kernel says so of
	// /proc's children files), and a subscriber must not wait for that.
	for pid := range r.subs {
		if r.wait4Locked(pid) {
			return true
		}
	}
	if !anyZombie() {
		return false
	}
	kids, err := r.listChildren()
	if err != nil {
		if !r.listFailed {
			r.listFailed = true
			r.log.WithError(err).Warn("cannot list children: holds keep every unsubscribed one until they end")
		}
		return false
	}
	reaped := false
	for _, k := range kids {
		if k.zombie && k.start < since {
			reaped = r.wait4Locked(k.pid) || reaped
		}
	}
	return reaped
}

// nextLapse returns how long until the earliest hold lapses.
func (r *Reaper) nextLapse(now time.Time) (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var first time.Time
	for h := range r.holds {
		if first.IsZero() || h.deadline.Before(first) {
			first = h.deadline
		}
	}
	if first.IsZero() {
		return 0, false
	}
	return max(first.Sub(now), 0), true
}
