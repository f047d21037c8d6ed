package reaper

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Start starts cmd with its exit subscription registered atomically with
// respect to the reap loop, so even a command that exits at once is never
// lost. The returned channel receives the command's exit; pass it to Wait.
func (r *Reaper) Start(cmd *exec.Cmd) (<-chan Exit, error) {
	p, err := r.start(cmd, false)
	if err != nil {
		return nil, err
	}
	return p.exit, nil
}

// StartProcess is Start for a command that will be signalled: the returned
// Process also holds a pidfd, and its Exit channel is the one to pass to
// Wait.
func (r *Reaper) StartProcess(cmd *exec.Cmd) (*Process, error) {
	return r.start(cmd, true)
}

func (r *Reaper) start(cmd *exec.Cmd, pidfd bool) (*Process, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("reaper: starting %s: %w", cmd.Path, ErrClosed)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("reaper: starting %s: %w", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	fd := -1
	if pidfd {
		// The child cannot have been reaped: r.mu is held.
		var err error
		if fd, err = openPidfd(pid); err != nil {
			r.log.WithError(err).WithField("pid", pid).Warn("open pidfd of a child just started")
			fd = -1
		}
	}
	p := newProcess(r, pid, fd)
	r.subs[pid] = append(r.subs[pid], p)
	return p, nil
}

// Wait waits for the exit of cmd, started with Start, on ch. Only then does
// it call cmd.Wait, to release os/exec's I/O goroutines and pipes: the
// process is already reaped, so Wait's ECHILD error is expected and
// ignored. Calling cmd.Wait before the exit is delivered would let os/exec
// reap the process itself and the subscription would never fire.
//
// Wait releases cmd.Process, so its Pid reads -1 afterwards: use Exit.Pid.
// If the Reaper was closed before the exit arrived, Wait falls back to
// cmd.Wait and returns the exit it reports.
func (r *Reaper) Wait(cmd *exec.Cmd, ch <-chan Exit) (Exit, error) {
	e, ok := <-ch
	if !ok {
		return r.waitUnreaped(cmd)
	}
	err := cmd.Wait()
	// os/exec keeps the pidfd of a process it could not wait for.
	_ = cmd.Process.Release()
	if err != nil && !errors.Is(err, syscall.ECHILD) {
		return e, fmt.Errorf("reaper: releasing %s: %w", cmd.Path, err)
	}
	return e, nil
}

// waitUnreaped waits for cmd with os/exec after the Reaper was closed.
func (r *Reaper) waitUnreaped(cmd *exec.Cmd) (Exit, error) {
	err := cmd.Wait()
	if cmd.ProcessState == nil {
		return Exit{}, fmt.Errorf("reaper: waiting for %s after close: %w", cmd.Path, errors.Join(ErrClosed, err))
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	e := Exit{Pid: cmd.ProcessState.Pid(), Status: unix.WaitStatus(ws), Time: time.Now()}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return e, fmt.Errorf("reaper: waiting for %s: %w", cmd.Path, err)
	}
	return e, nil
}

// Run starts cmd and waits for its exit, like Start followed by Wait. A
// non-zero exit is not an error: inspect the returned Exit.
func (r *Reaper) Run(cmd *exec.Cmd) (Exit, error) {
	ch, err := r.Start(cmd)
	if err != nil {
		return Exit{}, err
	}
	return r.Wait(cmd, ch)
}

// Output runs cmd and returns its standard output, like exec.Cmd.Output.
// If cmd.Stderr is nil, standard error is collected too and a non-zero exit
// returns an *ExitError carrying it.
func (r *Reaper) Output(cmd *exec.Cmd) ([]byte, error) {
	if cmd.Stdout != nil {
		return nil, errors.New("reaper: Stdout already set")
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	var stderr *bytes.Buffer
	if cmd.Stderr == nil {
		stderr = &bytes.Buffer{}
		cmd.Stderr = stderr
	}
	e, err := r.Run(cmd)
	if err != nil {
		return stdout.Bytes(), err
	}
	if e.Code() != 0 {
		xe := &ExitError{Exit: e}
		if stderr != nil {
			xe.Stderr = stderr.Bytes()
		}
		return stdout.Bytes(), xe
	}
	return stdout.Bytes(), nil
}

// CombinedOutput runs cmd and returns its standard output and standard
// error interleaved, like exec.Cmd.CombinedOutput. A non-zero exit returns
// an *ExitError without Stderr.
func (r *Reaper) CombinedOutput(cmd *exec.Cmd) ([]byte, error) {
	return r.combinedOutput(cmd, nil)
}

// Spawner wraps the start of a command: it must call start exactly once
// and may run code around it (the daemon has utility commands born in a
// cgroup other than its own, as runtime invocations are).
type Spawner func(cmd *exec.Cmd, start func() (pid int, err error)) error

// CombinedOutputVia returns a CombinedOutput whose commands are started
// inside spawn.
func (r *Reaper) CombinedOutputVia(spawn Spawner) func(*exec.Cmd) ([]byte, error) {
	return func(cmd *exec.Cmd) ([]byte, error) { return r.combinedOutput(cmd, spawn) }
}

func (r *Reaper) combinedOutput(cmd *exec.Cmd, spawn Spawner) ([]byte, error) {
	if cmd.Stdout != nil {
		return nil, errors.New("reaper: Stdout already set")
	}
	if cmd.Stderr != nil {
		return nil, errors.New("reaper: Stderr already set")
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	var ch <-chan Exit
	start := func() (int, error) {
		var err error
		if ch, err = r.Start(cmd); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	}
	var err error
	if spawn != nil {
		err = spawn(cmd, start)
	} else {
		_, err = start()
	}
	if err != nil {
		return out.Bytes(), err
	}
	e, err := r.Wait(cmd, ch)
	if err != nil {
		return out.Bytes(), err
	}
	if e.Code() != 0 {
		return out.Bytes(), &ExitError{Exit: e}
	}
	return out.Bytes(), nil
}
