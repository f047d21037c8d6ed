package reaper

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Process is one process whose exit the Reaper delivers, identified by
// more than its pid: a pidfd where the kernel has them. It is created
// while the process cannot have been reaped yet (Start, Hold.Track), so it
// names exactly that process and never a later one that reuses the pid.
type Process struct {
	r    *Reaper
	pid  int
	exit chan Exit

	// Guarded by r.mu: the reaper is the only one that reaps, so while
	// reaped is false under r.mu the pid is still this process's.
	pidfd  int // -1 without one (no kernel support, or closed)
	reaped bool
	onExit func() // see OnExit
}

func newProcess(r *Reaper, pid, pidfd int) *Process {
	return &Process{r: r, pid: pid, pidfd: pidfd, exit: make(chan Exit, 1)}
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.pid }

// Exit returns the channel that receives the process's exit, once. It is
// closed without an Exit if the Reaper is closed first.
func (p *Process) Exit() <-chan Exit { return p.exit }

// OnExit runs fn in a goroutine of its own once the process's exit is on
// the Exit channel, or the channel is closed because the Reaper is closed
// (at once if that already happened). It stands in for a goroutine that
// would block on Exit for the process's whole life. Only the last fn set
// runs.
func (p *Process) OnExit(fn func()) {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	if p.reaped {
		go fn()
		return
	}
	p.onExit = fn
}

// Signal sends sig to the process through its pidfd (kill(2) where the
// kernel has none, serialized with reaping so the pid cannot have been
// reused). It returns os.ErrProcessDone once the process was reaped, and
// ErrClosed once the Reaper is closed; a signal never reaches another
// process that has the same pid.
func (p *Process) Signal(sig unix.Signal) error {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	if p.reaped {
		if p.r.closed {
			return fmt.Errorf("reaper: signal process %d: %w", p.pid, ErrClosed)
		}
		return os.ErrProcessDone
	}
	var err error
	if p.pidfd >= 0 {
		err = unix.PidfdSendSignal(p.pidfd, sig, nil, 0)
	} else {
		err = unix.Kill(p.pid, sig)
	}
	if err == unix.ESRCH {
		// Gone but not reaped yet: a zombie takes no signals.
		return os.ErrProcessDone
	}
	if err != nil {
		return fmt.Errorf("reaper: signal process %d: %w", p.pid, err)
	}
	return nil
}

// Reaped reports whether the process's exit has been collected (after
// which its pid may belong to another process).
func (p *Process) Reaped() bool {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	return p.reaped
}

// deliverLocked records the exit, releases the pidfd and hands the exit
// over. r.mu must be held.
func (p *Process) deliverLocked(e Exit) {
	p.endLocked()
	p.exit <- e
	p.runOnExitLocked()
}

// abandonLocked ends the process's tracking without an exit: the Reaper
// is closed. r.mu must be held.
func (p *Process) abandonLocked() {
	p.endLocked()
	close(p.exit)
	p.runOnExitLocked()
}

// runOnExitLocked starts the OnExit function, if any. r.mu must be held.
func (p *Process) runOnExitLocked() {
	if fn := p.onExit; fn != nil {
		p.onExit = nil
		go fn()
	}
}

func (p *Process) endLocked() {
	p.reaped = true
	if p.pidfd >= 0 {
		_ = unix.Close(p.pidfd)
		p.pidfd = -1
	}
}

// openPidfd opens a pidfd for pid; -1 with a nil error where the kernel has
// no pidfds (the caller then relies on r.mu alone). ESRCH means no process
// has the pid.
func openPidfd(pid int) (int, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	switch {
	case err == nil:
		return fd, nil
	case errors.Is(err, unix.ENOSYS):
		if kerr := unix.Kill(pid, 0); kerr == unix.ESRCH {
			return -1, kerr
		}
		return -1, nil
	default:
		return -1, err
	}
}
