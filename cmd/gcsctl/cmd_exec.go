package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// sigkill is the signal an interrupted exec sends its process.
const sigkill = 9

// execCommand runs a process in a running container, attached.
func execCommand() command {
	return command{
		name:    "exec",
		args:    "[-t] [-i] [-e K=V]... [-w DIR] [-u USER] ID [--] CMD [ARG...]",
		summary: "run CMD in running container ID, attached, and exit with its exit code",
		detail: `exec sends ExecuteProcess with an OciProcess (by default uid 0, the
container's capabilities) and relays its stdout and stderr (and stdin with -i)
through relay ports gcsctl listens on. It exits with CMD's exit code. The
first interrupt (SIGINT, SIGTERM) is sent to CMD (exit 130 if SIGINT kills
it), once CMD has started if it comes while ExecuteProcess is answered; a
second one kills it (SIGKILL). -t and -i are as for run.`,
		negotiate:        true,
		exitsWithProcess: true,
		setup:            setupExec,
	}
}

// execOptions is a parsed exec command line.
type execOptions struct {
	stdioMode
	id   string
	env  []string
	cwd  string
	user oci.User
	args []string
}

// execFlags are exec's flags as parsed, before they become execOptions.
type execFlags struct {
	o    execOptions
	env  stringList
	user string
}

// setupExec defines exec's flags.
func setupExec(fs *flag.FlagSet) parseFunc {
	f := registerExecFlags(fs)
	return func(args []string, _ io.Reader) (action, error) {
		o, err := f.options(args)
		if err != nil {
			return nil, err
		}
		return withID(o.id, func(ctx context.Context, s *session, id string) error {
			o.id = id
			return execProcess(ctx, s, o)
		}), nil
	}
}

// registerExecFlags defines exec's flags on fs.
func registerExecFlags(fs *flag.FlagSet) *execFlags {
	f := &execFlags{}
	fs.BoolVar(&f.o.tty, "t", false, "give the process a terminal")
	fs.BoolVar(&f.o.stdin, "i", false, "attach gcsctl's standard input")
	registerProcessFlags(fs, &f.env, &f.o.cwd, &f.user, "0:0")
	return f
}

// options checks exec's arguments (those after the flags) and returns the
// options.
func (f *execFlags) options(args []string) (*execOptions, error) {
	o := f.o
	if len(args) < 2 {
		return nil, usageErrorf("exec wants ID CMD [ARG...], got %d arguments", len(args))
	}
	if err := checkID(args[0]); err != nil {
		return nil, err
	}
	if err := checkEnv("exec", f.env); err != nil {
		return nil, err
	}
	var err error
	if o.user, err = parseUser(f.user); err != nil {
		return nil, usageErrorf("exec: %v", err)
	}
	o.id, o.env, o.args = args[0], f.env, afterDoubleDash(args[1:])
	if len(o.args) == 0 {
		return nil, usageErrorf("exec wants ID CMD [ARG...]: CMD is missing after --")
	}
	return &o, nil
}

// process returns the OciProcess of the exec.
func (o *execOptions) process() *oci.Process {
	return &oci.Process{
		Terminal: o.tty,
		User:     o.user,
		Args:     o.args,
		Env:      processEnv(o.env, o.tty),
		Cwd:      o.cwd,
	}
}

// execProcess is the exec action.
func execProcess(ctx context.Context, s *session, o *execOptions) error {
	start := func(ctx context.Context, params *prot.ProcessParameters, relay prot.ExecuteProcessVsockStdioRelaySettings) (uint32, error) {
		params.OCIProcess = o.process()
		pid, err := s.client.ExecuteProcess(ctx, o.id, params, relay)
		if err != nil {
			return 0, classifyStart(fmt.Errorf("exec in container %s: %w", o.id, err))
		}
		return pid, nil
	}
	kill := func(ctx context.Context, pid uint32) error { return s.client.SignalProcess(ctx, o.id, pid, sigkill) }
	code, err := s.runAttached(ctx, o.id, o.stdioMode, start, kill)
	if errors.Is(err, errDetached) {
		_, err = fmt.Fprintf(s.stderr, "gcsctl: detached from a process of container %s, which goes on\n", o.id)
		return err
	}
	if err != nil {
		return err
	}
	return exitWith(code)
}
