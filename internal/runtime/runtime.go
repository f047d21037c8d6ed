package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/sirupsen/logrus"
)

// Runtime runs one OCI runtime binary with its global flags.
type Runtime struct {
	// Command is the runtime binary: "runc", "crun" or a path. Empty
	// means "runc".
	Command string
	// Root is the runtime's --root state directory; empty leaves the
	// runtime's default.
	Root string
	// Reaper starts every runtime invocation; it is required.
	Reaper *reaper.Reaper
	// Log receives a debug line per invocation; nil logs to the standard
	// logrus logger.
	Log *logrus.Entry
	// Spawn, if set, wraps the start of each invocation: it must call
	// start on its own goroutine (start forks there) and return its error.
	// The GCS uses it to have the runtime born outside its own cgroup.
	Spawn func(cmd *exec.Cmd, start func() (pid int, err error)) error
	// Timeout, if positive, bounds every invocation; zero bounds each by
	// DefaultTimeout of its subcommand. An invocation that outlives its
	// bound or its context is killed with what it started and returns an
	// error; one that outlived its bound matches ErrTimeout.
	Timeout time.Duration
	// ScratchDir, if set, is a directory of this Runtime's own for the
	// pid files of create and exec (their only files on a filesystem:
	// logs and process definitions are in-memory files), made at first
	// use, emptied of what a previous daemon left. Empty: a private
	// temporary directory per invocation.
	ScratchDir string
	// SealedCopy, if set, runs the runtime from a sealed in-memory copy
	// of its binary, made by Prepare or at first use: runc and crun find
	// their own executable sealed and skip what they otherwise do at every
	// invocation to keep a container from overwriting it (a bind mount
	// of themselves on a file they create in /tmp, or a copy). The copy
	// is this process's memory until Close; a binary replaced on disk
	// afterwards is not seen. Should the copy fail, the command runs
	// itself (logged once).
	SealedCopy bool

	sealedMu    sync.Mutex
	sealedTried bool     // the copy was attempted (or Close called)
	sealed      *os.File // the sealed copy, or nil
	sealedPath  string   // how a child executes it

	scratchOnce sync.Once
	scratchErr  error
	scratchSeq  atomic.Uint64
}

// call is one invocation of the runtime command line.
type call struct {
	op   string   // subcommand, e.g. "create"
	id   string   // container the call is about, for errors and logs
	args []string // flags and operands after the subcommand
	// stdio, when set, are exactly fds 0, 1 and 2 of the runtime.
	stdio *IO
	// Otherwise stdin feeds the runtime's standard input and stdout
	// collects its standard output; standard error is collected for
	// errors.
	stdin  io.Reader
	stdout io.Writer
	// process, when set, is the process definition of an exec, handed to
	// the runtime as processFD.
	process []byte
	// pidFile, when set, is the in-memory pid file of a create or exec,
	// handed to the runtime as pidFD.
	pidFile *os.File
}

func (r *Runtime) command() string {
	if r.Command == "" {
		return "runc"
	}
	return r.Command
}

func (r *Runtime) log() *logrus.Entry {
	if r.Log == nil {
		return logrus.NewEntry(logrus.StandardLogger())
	}
	return r.Log
}

// cmd returns the command of an invocation with args: the runtime's
// sealed copy when there is one, with the runtime's name as argv[0].
func (r *Runtime) cmd(args []string) *exec.Cmd {
	if bin := r.binary(); bin != r.command() {
		return &exec.Cmd{Path: bin, Args: append([]string{r.command()}, args...)}
	}
	return exec.Command(r.command(), args...)
}

// op names an invocation in errors: "runc create".
func (r *Runtime) op(sub string) string {
	return filepath.Base(r.command()) + " " + sub
}

// globalArgs renders the flags that go before the subcommand.
func (r *Runtime) globalArgs(logPath string) []string {
	var a []string
	if r.Root != "" {
		a = append(a, "--root", r.Root)
	}
	return append(a, "--log", logPath, "--log-format", "json")
}

// start runs cmd through the reaper, inside Spawn when set, and waits for
// it; if ctx ends first, the invocation is aborted and aborted is true.
func (r *Runtime) start(ctx context.Context, cmd *exec.Cmd, m *marker) (e reaper.Exit, aborted bool, err error) {
	var exits <-chan reaper.Exit
	start := func() (int, error) {
		var err error
		if exits, err = r.Reaper.Start(cmd); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	}
	if r.Spawn != nil {
		err = r.Spawn(cmd, start)
	} else {
		_, err = start()
	}
	// The runtime has its own copy of the marker now, or never will.
	m.child.Close()
	if err != nil {
		return reaper.Exit{}, false, err
	}
	pid := cmd.Process.Pid
	var ok bool
	select {
	case e, ok = <-exits:
	case <-ctx.Done():
		// An exit already delivered wins: its pid may be free again.
		select {
		case e, ok = <-exits:
			return r.release(cmd, e, ok, false)
		default:
		}
		aborted = true
		abort(pid, m, r.log().WithField("runtime", r.command()))
		select {
		case e, ok = <-exits:
		case <-time.After(killGrace):
			// Stuck in the kernel: reaped whenever it dies.
			go func() { _, _ = r.Reaper.Wait(cmd, exits) }()
			return reaper.Exit{}, true, fmt.Errorf("killed pid %d still running after %s", pid, killGrace)
		}
	}
	return r.release(cmd, e, ok, aborted)
}

// release hands Reaper.Wait the exit received on cmd's channel (ok false:
// it was closed), so that cmd is released.
func (r *Runtime) release(cmd *exec.Cmd, e reaper.Exit, ok, aborted bool) (reaper.Exit, bool, error) {
	got := make(chan reaper.Exit, 1)
	if ok {
		got <- e
	}
	close(got)
	e, err := r.Reaper.Wait(cmd, got)
	return e, aborted, err
}

// run invokes the runtime for c through the reaper, logging to an
// in-memory file, and turns a non-zero exit into an *Error.
func (r *Runtime) run(ctx context.Context, c call) error {
	if r.Reaper == nil {
		return fmt.Errorf("%s: runtime has no reaper", r.op(c.op))
	}
	logFile, err := memFile("runtime-log", nil)
	if err != nil {
		return fmt.Errorf("%s: %w", r.op(c.op), err)
	}
	defer logFile.Close()
	args := append(r.globalArgs(fdPath(logFD)), c.op)
	args = append(args, c.args...)
	var processFile *os.File
	if c.process != nil {
		if processFile, err = memFile("runtime-process", c.process); err != nil {
			return fmt.Errorf("%s: %w", r.op(c.op), err)
		}
		defer processFile.Close()
	}
	bound := r.timeout(c.op)
	ctx, cancel := context.WithTimeoutCause(ctx, bound, ErrTimeout)
	defer cancel()
	m, err := newMarker()
	if err != nil {
		return fmt.Errorf("%s: %w", r.op(c.op), err)
	}
	cmd := r.cmd(args)
	// A group of its own, so that it can be stopped and killed whole.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.ExtraFiles = []*os.File{m.child, logFile}
	if processFile != nil || c.pidFile != nil {
		// A nil file leaves its descriptor closed in the runtime.
		cmd.ExtraFiles = append(cmd.ExtraFiles, processFile)
	}
	if c.pidFile != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, c.pidFile)
	}
	cmd.WaitDelay = waitDelay

	var stderr bytes.Buffer
	if c.stdio != nil {
		cmd.Stdin = fileOrNil(c.stdio.Stdin)
		cmd.Stdout = fileOrNil(c.stdio.Stdout)
		cmd.Stderr = fileOrNil(c.stdio.Stderr)
	} else {
		cmd.Stdin = c.stdin
		cmd.Stdout = c.stdout
		cmd.Stderr = &stderr
	}

	start := time.Now()
	e, aborted, err := r.start(ctx, cmd, m)
	log := r.log().WithFields(logrus.Fields{
		"runtime":  r.command(),
		"op":       c.op,
		"id":       c.id,
		"duration": time.Since(start),
	})
	if aborted {
		// What the runtime logged, if anything, is moot.
		aerr := r.aborted(ctx, c, bound, err)
		log.WithError(aerr).Warn("runtime invocation killed")
		return aerr
	}
	if err != nil {
		log.WithError(err).Debug("runtime invocation failed to run")
		return fmt.Errorf("%s: %w", r.op(c.op), err)
	}
	log = log.WithField("code", e.Code())
	if e.Code() == 0 {
		log.Debug("runtime invocation succeeded")
		return nil
	}
	rerr := r.failure(c, e, logFile, stderr.Bytes())
	log.WithError(rerr).Debug("runtime invocation failed")
	return rerr
}

// aborted returns the error of invocation c, killed when ctx ended: one
// matching ErrTimeout when its bound did, else the context's own error;
// waitErr is what reaping it returned.
func (r *Runtime) aborted(ctx context.Context, c call, bound time.Duration, waitErr error) error {
	what := r.op(c.op)
	if c.id != "" {
		what += " " + c.id
	}
	cause := context.Cause(ctx)
	var err error
	if errors.Is(cause, ErrTimeout) {
		err = fmt.Errorf("%s: %w after %s; it was killed with the processes it started", what, ErrTimeout, bound)
	} else {
		err = fmt.Errorf("%s: %w; it was killed with the processes it started", what, cause)
	}
	if waitErr != nil {
		err = fmt.Errorf("%w (%v)", err, waitErr)
	}
	return err
}

// failure builds the *Error of a failed invocation from the runtime's log,
// falling back to its standard error and then to its exit status.
func (r *Runtime) failure(c call, e reaper.Exit, logFile *os.File, stderr []byte) error {
	var msg string
	if b, err := readLog(logFile); err != nil {
		r.log().WithError(err).Warn("could not read runtime log")
	} else {
		msg = logError(b)
	}
	if msg == "" {
		msg = lastLine(stderr)
	}
	if msg == "" {
		msg = e.String()
	}
	return &Error{Op: r.op(c.op), ID: c.id, Message: msg, Exit: e, Kind: classify(msg, c.id)}
}

// fileOrNil keeps a nil *os.File from becoming a non-nil interface, which
// os/exec would take for a file.
func fileOrNil(f *os.File) io.ReadWriter {
	if f == nil {
		return nil
	}
	return f
}
