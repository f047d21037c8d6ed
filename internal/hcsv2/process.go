package hcsv2

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/stdio"
)

// drainBound caps how long the exit of a process waits for its output relay
// after the process itself is gone.
const drainBound = 60 * time.Second

// process is one process the host can wait on: a container's init, an exec
// in a container, or a process of the utility VM.
type process struct {
	pid uint32
	// rp identifies the process beyond its pid, for signals.
	rp *reaper.Process
	// uvm processes report a signal death as -1; container ones as 128+N.
	uvm bool
	// args is the command line of an exec, which signal policies judge
	// (the init's is its container's).
	args []string

	mu       sync.Mutex
	relay    stdio.Relay
	tty      *stdio.TTYRelay
	exited   bool // the reaper reported the exit (the pid may be reused)
	released bool // a wait delivered the exit; exec/uvm entries are gone

	done     chan struct{} // closed when the exit code is final and output drained
	exitCode uint32
}

func newProcess(rp *reaper.Process, uvm bool) *process {
	return &process{pid: uint32(rp.Pid()), rp: rp, uvm: uvm, done: make(chan struct{})}
}

// putProcess records p in a pid-keyed table unless a live process holds
// the entry: an entry whose process was reaped gives way (its pid was free
// to be reused), a live one never does, since two live processes cannot
// share a pid. The table's lock must be held.
func putProcess(table map[uint32]*process, p *process) bool {
	if old, ok := table[p.pid]; ok && !old.rp.Reaped() {
		return false
	}
	table[p.pid] = p
	return true
}

// setRelay attaches the stdio relay whose drain the exit waits for.
func (p *process) setRelay(r stdio.Relay, tty *stdio.TTYRelay) {
	p.mu.Lock()
	p.relay, p.tty = r, tty
	p.mu.Unlock()
}

// watch waits for the exit, runs beforeDrain (the init's kill of the rest of
// the container), drains the relay, then publishes the exit code.
func (p *process) watch(exits <-chan reaper.Exit, beforeDrain func()) {
	e := <-exits
	p.mu.Lock()
	p.exited = true
	relay := p.relay
	p.mu.Unlock()
	if beforeDrain != nil {
		beforeDrain()
	}
	if relay != nil {
		ctx, cancel := context.WithTimeout(context.Background(), drainBound)
		relay.Wait(ctx)
		cancel()
		relay.Close()
	}
	p.exitCode = exitCode(e, p.uvm)
	close(p.done)
}

func exitCode(e reaper.Exit, uvm bool) uint32 {
	if uvm && e.Signaled() {
		return 0xffffffff
	}
	return uint32(e.Code())
}

// hasExited reports whether the reaper saw the process end.
func (p *process) hasExited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// wait blocks until the exit is published, ctx ends, or the host's timeout
// (milliseconds; prot.InfiniteWaitTimeout for none) fires.
func (p *process) wait(ctx context.Context, timeoutMs uint32) (uint32, error) {
	var timeout <-chan time.Time
	if timeoutMs != prot.InfiniteWaitTimeout {
		// An exit already known wins over a zero timeout.
		select {
		case <-p.done:
			return p.exitCode, nil
		default:
		}
		t := time.NewTimer(time.Duration(timeoutMs) * time.Millisecond)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-p.done:
		return p.exitCode, nil
	case <-timeout:
		return 0, prot.Errorf(prot.HrVmcomputeTimeout, "timed out after %d ms waiting for process %d", timeoutMs, p.pid)
	case <-ctx.Done():
		return 0, prot.WithHResult(prot.HrFail, ctx.Err())
	}
}

// signal delivers sig to the process itself, never to another process
// that has its pid since.
func (p *process) signal(sig unix.Signal) error {
	if p.hasExited() {
		return prot.Errorf(prot.HrElementNotFound, "process %d has already exited", p.pid)
	}
	if err := p.rp.Signal(sig); err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			return prot.Errorf(prot.HrElementNotFound, "process %d has already exited", p.pid)
		}
		return prot.Errorf(prot.HrFail, "signal process %d: %w", p.pid, err)
	}
	return nil
}

// kill is a best-effort SIGKILL used when tearing down.
func (p *process) kill() {
	_ = p.rp.Signal(unix.SIGKILL)
}

// resize sets the terminal size of a tty process.
func (p *process) resize(width, height uint16) error {
	p.mu.Lock()
	tty := p.tty
	p.mu.Unlock()
	if tty == nil {
		return prot.Errorf(prot.HrFail, "pid: %d, is not a tty and cannot be resized", p.pid)
	}
	if err := tty.Resize(width, height); err != nil {
		return prot.Errorf(prot.HrFail, "resize console of process %d: %w", p.pid, err)
	}
	return nil
}
