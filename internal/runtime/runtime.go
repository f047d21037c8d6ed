package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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

// scratch makes a private temporary directory for one invocation's log,
// pid and process files; the caller removes it.
func scratch() (string, error) {
	dir, err := os.MkdirTemp("", "oci-runtime-")
	if err != nil {
		return "", fmt.Errorf("creating runtime scratch dir: %w", err)
	}
	return dir, nil
}

// start runs cmd through the reaper, inside Spawn when set.
func (r *Runtime) start(cmd *exec.Cmd) (reaper.Exit, error) {
	var exits <-chan reaper.Exit
	start := func() (int, error) {
		var err error
		if exits, err = r.Reaper.Start(cmd); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	}
	var err error
	if r.Spawn != nil {
		err = r.Spawn(cmd, start)
	} else {
		_, err = start()
	}
	if err != nil {
		return reaper.Exit{}, err
	}
	return r.Reaper.Wait(cmd, exits)
}

// run invokes the runtime for c through the reaper, logging to a file in
// dir, and turns a non-zero exit into an *Error.
func (r *Runtime) run(ctx context.Context, dir string, c call) error {
	if r.Reaper == nil {
		return fmt.Errorf("%s: runtime has no reaper", r.op(c.op))
	}
	logPath := filepath.Join(dir, "log.json")
	args := append(r.globalArgs(logPath), c.op)
	args = append(args, c.args...)
	cmd := exec.CommandContext(ctx, r.command(), args...)

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
	e, err := r.start(cmd)
	log := r.log().WithFields(logrus.Fields{
		"runtime":  r.command(),
		"op":       c.op,
		"id":       c.id,
		"duration": time.Since(start),
	})
	if err != nil {
		log.WithError(err).Debug("runtime invocation failed to run")
		return fmt.Errorf("%s: %w", r.op(c.op), err)
	}
	log = log.WithField("code", e.Code())
	if e.Code() == 0 {
		log.Debug("runtime invocation succeeded")
		return nil
	}
	if ctx.Err() != nil {
		// os/exec killed the runtime: what it logged, if anything, is moot.
		log.WithError(ctx.Err()).Debug("runtime invocation cancelled")
		return fmt.Errorf("%s: %w (runtime %s)", r.op(c.op), ctx.Err(), e)
	}
	rerr := r.failure(c, e, logPath, stderr.Bytes())
	log.WithError(rerr).Debug("runtime invocation failed")
	return rerr
}

// failure builds the *Error of a failed invocation from the runtime's log,
// falling back to its standard error and then to its exit status.
func (r *Runtime) failure(c call, e reaper.Exit, logPath string, stderr []byte) error {
	msg, err := logError(logPath)
	if err != nil {
		r.log().WithError(err).Warn("could not read runtime log")
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
