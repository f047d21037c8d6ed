package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// hostnameLength is how much of the id a default hostname takes.
const hostnameLength = 12

// runCommand creates a container, runs its init attached, and removes it.
func runCommand() command {
	return command{
		name: "run",
		args: "[-t] [-i] [-d] [--id|--name ID] [--rm] [--layer DIR]... [--scratch DIR] [--hostname H] [-e K=V]... " +
			"[-w DIR] [-u USER] IMAGE-ROOTFS-DIR [--] CMD [ARG...]",
		summary: "run CMD in a new container, attached, and exit with its exit code",
		detail: `run mounts the layers with ModifySettings CombinedLayers at ROOT/c/ID/rootfs
(IMAGE-ROOTFS-DIR on top, then each --layer in order, then the scratch
directory, by default ROOT/c/ID/scratch), creates the container from a default
OCI spec like runc's (pid, ipc, uts, mount and network namespaces, the standard
mounts and capabilities), starts it, and runs CMD as its init with stdout and
stderr (and stdin with -i) relayed through relay ports gcsctl listens on. It
prints nothing of its own and exits with CMD's exit code.

Paths are the GCS's; relative ones are taken from the current directory.
The GCS takes layers and the scratch only from below its roots (its -root,
ROOT/../mounts and ROOT/../layers: /run/mounts and /run/layers in a utility
VM), through no symbolic link.
With --rm, the default when no --id is given, the container's layers are
unmounted and its state deleted at the end; otherwise use rm -f (or layers
remove, then rm).
If a step fails before CMD starts, what was done is undone.

With -d, CMD is started detached: run prints "ID PID" (the container's id and
CMD's pid; with --json {"id":ID,"pid":PID}) and exits, leaving the container running; CMD's stdio is not
connected (it reads EOF, its writes fail). The GCS serves one bridge
connection at a time, so an attached run keeps other gcsctl commands out until
it ends; a detached one lets them in (exec, ps, stats, kill, wait, rm).

--timeout bounds each request, not how long CMD runs. The first interrupt
gcsctl gets (SIGINT, SIGTERM) from CMD's start on is sent to CMD
(SignalProcess, once CMD's pid is known), as docker does: CMD, pid 1 of its
namespace, dies of it only if it handles it (exit 130 for SIGINT); a second
interrupt kills the container (ShutdownForced) and cleans up as usual; one
that comes while the container is set up undoes the set-up. With -t the
container gets a terminal; with -t -i the local one is put in raw mode
meanwhile (keys such as ^C go to the container), and its size follows the
local one (SIGWINCH); ctrl-p ctrl-q, docker's detach keys, detach: gcsctl
exits 0 and leaves the container running, even with --rm.`,
		negotiate:        true,
		exitsWithProcess: true,
		setup:            setupRun,
	}
}

// runOptions is a parsed run command line.
type runOptions struct {
	stdioMode
	detach   bool
	id       string
	rm       bool
	layers   []string // top first: IMAGE-ROOTFS-DIR, then --layer
	scratch  string
	hostname string
	env      []string
	cwd      string
	user     oci.User
	args     []string
}

// runFlags are run's flags as parsed, before they become runOptions.
type runFlags struct {
	o           runOptions
	layers, env stringList
	user        string
}

// setupRun defines run's flags.
func setupRun(fs *flag.FlagSet) parseFunc {
	f := registerRunFlags(fs)
	return func(args []string, _ io.Reader) (action, error) {
		o, err := f.options(fs, args)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, s *session) error { return runContainer(ctx, s, o) }, nil
	}
}

// registerRunFlags defines run's flags on fs.
func registerRunFlags(fs *flag.FlagSet) *runFlags {
	f := &runFlags{}
	o := &f.o
	fs.BoolVar(&o.tty, "t", false, "give the container a terminal")
	fs.BoolVar(&o.stdin, "i", false, "attach gcsctl's standard input")
	fs.BoolVar(&o.detach, "d", false, "start CMD detached, print \"ID PID\" and exit")
	fs.StringVar(&o.id, "id", "", "container `ID` (default: random)")
	fs.StringVar(&o.id, "name", "", "container `ID`, as --id (docker's name for it)")
	fs.BoolVar(&o.rm, "rm", false, "delete the container and unmount its layers at the end\n(default true when no --id is given and not -d)")
	fs.Var(&f.layers, "layer", "lower layer `DIR` below IMAGE-ROOTFS-DIR; repeat for more, top first")
	fs.StringVar(&o.scratch, "scratch", "", "scratch `DIR` for writes (default ROOT/c/ID/scratch)")
	fs.StringVar(&o.hostname, "hostname", "", "container host name `H` (default: the id's first 12 characters)")
	registerProcessFlags(fs, &f.env, &o.cwd, &f.user, "0:0")
	return f
}

// options checks run's arguments, args being those left after the flags
// fs parsed, and returns the options.
func (f *runFlags) options(fs *flag.FlagSet, args []string) (*runOptions, error) {
	o := f.o
	if len(args) < 2 {
		return nil, usageErrorf("run wants IMAGE-ROOTFS-DIR CMD [ARG...], got %d arguments", len(args))
	}
	if o.detach && (o.tty || o.stdin || o.rm) {
		return nil, usageErrorf("run: -d cannot be combined with -t, -i or --rm")
	}
	if set := setFlags(fs); set["id"] && set["name"] {
		return nil, usageErrorf("run: --id and --name are the same: give one")
	}
	if o.id == "" {
		o.id = newID()
		if !setFlags(fs)["rm"] && !o.detach {
			o.rm = true
		}
	} else if err := checkID(o.id); err != nil {
		return nil, err
	}
	if o.hostname == "" {
		o.hostname = o.id[:min(len(o.id), hostnameLength)]
	}
	var err error
	if o.user, err = parseUser(f.user); err != nil {
		return nil, usageErrorf("run: %v", err)
	}
	if err := checkEnv("run", f.env); err != nil {
		return nil, err
	}
	o.env, o.args = f.env, afterDoubleDash(args[1:])
	if len(o.args) == 0 {
		return nil, usageErrorf("run wants IMAGE-ROOTFS-DIR CMD [ARG...]: CMD is missing after --")
	}
	if o.layers, err = absPaths(append([]string{args[0]}, f.layers...)); err != nil {
		return nil, err
	}
	if o.scratch != "" {
		if o.scratch, err = absPath(o.scratch); err != nil {
			return nil, err
		}
	}
	return &o, nil
}

// runContainer is the run action.
func runContainer(ctx context.Context, s *session, o *runOptions) (err error) {
	p := pathsFor(s.g.root, o.id, o.scratch)
	var mounted, created, started, detached bool
	defer func() {
		// Undo a failed start; with --rm, remove the container in any
		// case, unless the user detached from it.
		if detached || (err == nil || started) && !o.rm {
			return
		}
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		err = withCleanupError(err, s.removeRun(cctx, o.id, p, created, mounted))
	}()
	if err := s.checkUnused(ctx, o.id); err != nil {
		return err
	}
	if err := s.addLayers(ctx, o.id, p, o.layers); err != nil {
		return err
	}
	mounted = true
	if created, err = s.createContainer(ctx, o, p); err != nil {
		return err
	}
	start := func(ctx context.Context, params *prot.ProcessParameters, relay prot.ExecuteProcessVsockStdioRelaySettings) (uint32, error) {
		pid, err := s.client.ExecuteProcess(ctx, o.id, params, relay)
		if err != nil {
			return 0, fmt.Errorf("start the init of container %s: %w", o.id, err)
		}
		started = true
		return pid, nil
	}
	if o.detach {
		// No streams: the init's stdio is not connected.
		rctx, cancel := s.requestContext(ctx)
		pid, err := start(rctx, new(prot.ProcessParameters), prot.ExecuteProcessVsockStdioRelaySettings{})
		cancel()
		if err != nil {
			return err
		}
		return s.printStarted(o.id, pid)
	}
	kill := func(ctx context.Context, _ uint32) error { return s.client.ShutdownForced(ctx, o.id) }
	code, err := s.runAttached(ctx, o.id, o.stdioMode, start, kill)
	if errors.Is(err, errDetached) {
		detached = true
		_, err = fmt.Fprintf(s.stderr, "gcsctl: detached from container %s, which goes on: rm -f %s removes it\n", o.id, o.id)
		return err
	}
	if err != nil {
		return err
	}
	return exitWith(code)
}

// createContainer creates and starts container o.id from the default spec
// (its init waits for ExecuteProcess). created reports whether the
// container may exist, even if Create failed or was cut short, unless it
// is another container of that id.
func (s *session) createContainer(ctx context.Context, o *runOptions, p containerPaths) (created bool, err error) {
	cfg := &prot.VMHostedContainerSettingsV2{
		SchemaVersion:    prot.SchemaVersion{Major: 2, Minor: 1},
		OCIBundlePath:    p.bundle,
		OCISpecification: defaultSpec(o, p.rootfs),
		ScratchDirPath:   p.scratch,
	}
	rctx, cancel := s.createContext(ctx)
	err = s.client.CreateContainer(rctx, o.id, cfg)
	cancel()
	created = client.HResult(err) != prot.HrVmcomputeAlreadyExists
	if err != nil {
		return created, classifyStart(fmt.Errorf("create container %s: %w", o.id, err))
	}
	rctx, cancel = s.requestContext(ctx)
	defer cancel()
	if err := s.client.Start(rctx, o.id); err != nil {
		return created, fmt.Errorf("start container %s: %w", o.id, err)
	}
	return created, nil
}

// removeRun deletes what run made: the layers if they were mounted, then
// the container if it was created (a confidential GCS deletes no
// container whose root file system is still mounted).
func (s *session) removeRun(ctx context.Context, id string, p containerPaths, created, mounted bool) error {
	var errs []error
	if mounted {
		errs = append(errs, s.removeLayers(ctx, id, p))
	}
	if created {
		errs = append(errs, s.deleteContainer(ctx, id))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	return nil
}

// withCleanupError adds the error of cleaning up, if any, to run's result
// err. A container's exit status would hide it, so it becomes a message.
func withCleanupError(err, cleanupErr error) error {
	var status exitStatus
	switch {
	case cleanupErr == nil:
		return err
	case err == nil:
		return cleanupErr
	case errors.As(err, &status):
		return fmt.Errorf("%w (the container exited with status %d)", cleanupErr, uint32(status))
	}
	return errors.Join(err, cleanupErr)
}
