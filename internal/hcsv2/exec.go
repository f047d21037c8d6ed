package hcsv2

import (
	"context"
	"errors"
	"math"
	"path"
	"strings"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/runtime"
	"github.com/linux-gcs/gcs/internal/stdio"
)

// stdioPorts returns the relay ports of the streams the parameters ask for;
// a stream whose flag is false is not connected whatever its port.
func stdioPorts(p *prot.ProcessParameters, s prot.ExecuteProcessVsockStdioRelaySettings) (in, out, err uint32) {
	if p.CreateStdInPipe {
		in = s.StdIn
	}
	if p.CreateStdOutPipe {
		out = s.StdOut
	}
	if p.CreateStdErrPipe {
		err = s.StdErr
	}
	return in, out, err
}

// dialStdio connects the requested streams, in the order stdin, stdout,
// stderr, before the process starts.
func (h *Host) dialStdio(ctx context.Context, p *prot.ProcessParameters, s prot.ExecuteProcessVsockStdioRelaySettings) (stdio.Conns, error) {
	if nullStdio(ctx) {
		return nullConns(p), nil
	}
	in, out, errp := stdioPorts(p, s)
	conns, err := stdio.DialConns(ctx, h.opts.Relay, in, out, errp)
	if err != nil {
		return conns, prot.Errorf(prot.HrFail, "connect stdio: %w", err)
	}
	return conns, nil
}

// startInit connects the init's stdio and starts it.
func (c *Container) startInit(ctx context.Context, p *prot.ProcessParameters, s prot.ExecuteProcessVsockStdioRelaySettings) (uint32, error) {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return 0, prot.Errorf(prot.HrFail, "container %s: init process already started", c.id)
	}
	c.started = true
	c.mu.Unlock()
	conns, err := c.host.dialStdio(nullStdioIf(ctx, c.noStdio), p, s)
	if err != nil {
		// Nothing is started yet: the host may try again.
		c.mu.Lock()
		c.started = false
		c.mu.Unlock()
		return 0, err
	}
	// The init's output outlives a dropped host end (live migration):
	// its connections re-dial their ports until the container goes.
	_, outPort, errPort := stdioPorts(withoutStdio(p, !c.noStdio), s)
	conns = stdio.RedialOutputs(c.stdioCtx, conns, c.host.opts.Relay, outPort, errPort, c.log)
	if c.initMaster != nil {
		r := stdio.NewTTYRelay(c.initMaster, conns, c.log.WithField("pid", c.init.pid))
		c.init.setRelay(r, r)
		r.Start()
	} else {
		if err := c.initPipes.Attach(conns); err != nil {
			conns.Close()
			return 0, prot.WithHResult(prot.HrFail, err)
		}
		c.init.setRelay(c.initPipes, nil)
		c.initPipes.Start()
	}
	// With the spec and the init, the runtime package can release the
	// init through its exec fifo, without a runtime invocation.
	so := runtime.StartOpts{Pid: int(c.init.pid), Spec: c.spec, Exited: c.init.hasExited}
	if err := c.host.opts.Runtime.Start(ctx, c.id, so); err != nil {
		return 0, prot.WithHResult(prot.HrFail, err)
	}
	return c.init.pid, nil
}

// execProcess runs spec, an exec's process definition that execSpec
// completed, as an extra process in the container, with the streams
// params asks for.
func (c *Container) execProcess(ctx context.Context, spec *oci.Process, params *prot.ProcessParameters, s prot.ExecuteProcessVsockStdioRelaySettings) (uint32, error) {
	if c.init.hasExited() {
		return 0, prot.Errorf(prot.HrFail, "container %s is not running", c.id)
	}
	conns, err := c.host.dialStdio(ctx, params, s)
	if err != nil {
		return 0, err
	}
	var (
		rp    *reaper.Process
		relay stdio.Relay
		tty   *stdio.TTYRelay
	)
	if spec.Terminal {
		sock, err := stdio.NewConsoleSocket(c.bundle)
		if err != nil {
			conns.Close()
			return 0, prot.WithHResult(prot.HrFail, err)
		}
		defer sock.Close()
		rp, err = c.runtimeExec(ctx, spec, runtime.ExecOpts{ConsoleSocket: sock.Path()})
		if err != nil {
			conns.Close()
			return 0, err
		}
		rctx, cancel := context.WithTimeout(ctx, consoleTimeout)
		master, err := sock.ReceiveMaster(rctx)
		cancel()
		if err != nil {
			conns.Close()
			abandonExec(rp)
			return 0, prot.Errorf(prot.HrFail, "receive console of exec %d: %w", rp.Pid(), err)
		}
		tty = stdio.NewTTYRelay(master, conns, c.log.WithField("pid", rp.Pid()))
		relay = tty
	} else {
		pipes, err := stdio.NewPipeRelay(conns, stdio.PipeOptions{NullUnrequested: true}, c.log)
		if err != nil {
			conns.Close()
			return 0, prot.WithHResult(prot.HrFail, err)
		}
		var io runtime.IO
		io.Stdin, io.Stdout, io.Stderr = pipes.ChildIO()
		rp, err = c.runtimeExec(ctx, spec, runtime.ExecOpts{IO: io})
		pipes.CloseChildEnds()
		if err != nil {
			pipes.Close()
			return 0, err
		}
		relay = pipes
	}
	proc := newProcess(rp, false)
	proc.args = spec.Args
	proc.setRelay(relay, tty)
	if err := c.addExec(proc); err != nil {
		relay.Close()
		abandonExec(rp)
		return 0, err
	}
	if tty != nil {
		tty.Start()
	} else {
		relay.(*stdio.PipeRelay).Start()
	}
	rp.OnExit(func() { proc.watch(rp.Exit(), nil) })
	return proc.pid, nil
}

// runtimeExec runs the runtime's exec under a reaper hold and pins the
// process it started before the hold ends, so that the pid the runtime
// wrote names that process even if it exited at once and its pid was
// taken again.
func (c *Container) runtimeExec(ctx context.Context, spec *oci.Process, opts runtime.ExecOpts) (*reaper.Process, error) {
	hold := c.host.opts.Reaper.Hold()
	defer hold.Release()
	pid, err := c.host.opts.Runtime.Exec(ctx, c.id, spec, opts)
	if err != nil {
		return nil, execError(c.id, err)
	}
	rp, err := hold.Track(pid)
	if err != nil {
		return nil, prot.Errorf(prot.HrFail, "exec in container %s: %w", c.id, err)
	}
	return rp, nil
}

// abandonExec kills an exec that started but cannot be handed to the host;
// the reaper collects it, so nothing runs unseen.
func abandonExec(rp *reaper.Process) {
	_ = rp.Signal(unix.SIGKILL)
}

func execError(id string, err error) error {
	if errors.Is(err, runtime.ErrNotFound) {
		return prot.WithHResult(prot.HrVmcomputeSystemNotFound, err)
	}
	if errors.Is(err, runtime.ErrTimeout) {
		return prot.Errorf(prot.HrVmcomputeTimeout, "exec in container %s: %w", id, err)
	}
	return prot.Errorf(prot.HrFail, "exec in container %s: %w", id, err)
}

// execSpec completes an exec's process definition the way the reference
// does, before the policy is asked about it, so that the policy judges
// what the runtime is given: the container's rlimits, "/" for an empty
// Cwd, and the user resolved in the container, once. An exec that names
// no user runs as the container's when its init was given a user name
// (the reference's substitution). named reports that the user came from
// a name, the exec's or the init's.
func (c *Container) execSpec(ctx context.Context, p *oci.Process) (spec *oci.Process, named bool, err error) {
	q := *p
	if len(q.Args) == 0 {
		return nil, false, prot.Errorf(prot.HrInvalidArg, "OciProcess has no args")
	}
	if err := checkEnv(q.Env); err != nil {
		return nil, false, err
	}
	if q.Cwd == "" {
		q.Cwd = "/"
	}
	if !path.IsAbs(q.Cwd) {
		// runc refuses it; crun takes it from "/", not where named.
		return nil, false, prot.Errorf(prot.HrInvalidArg, "OciProcess cwd is not an absolute path")
	}
	q.Rlimits = c.spec.Process.Rlimits
	switch {
	case q.User.Username != "":
		u, err := resolveUser(ctx, c.rootfs, q.User.Username)
		if err != nil {
			return nil, false, prot.WithHResult(prot.HrFail, err)
		}
		// As the reference: the ids replace the name, which the runtime
		// does not read; umask and additional gids stay.
		q.User.UID, q.User.GID, q.User.Username = u.UID, u.GID, ""
		named = true
	case c.spec.Process.User.Username != "":
		q.User = c.spec.Process.User
		named = true
	}
	if err := checkIDs(q.User); err != nil {
		return nil, false, err
	}
	return &q, named, nil
}

// noID is (uid_t)-1, which is no id: to setresuid and setresgid it means
// "leave as is", so a runtime that passes it on (crun) runs the process as
// its own root. (setgroups refuses it: no need to look at additional gids.)
const noID = math.MaxUint32

// checkIDs refuses a user whose uid or gid is noID.
func checkIDs(u oci.User) error {
	if u.UID == noID || u.GID == noID {
		return prot.Errorf(prot.HrInvalidArg, "OciProcess user: id %d is not a valid uid or gid", uint32(noID))
	}
	return nil
}

// checkEnv refuses an environment the runtime cannot hand to a process as
// it stands: an entry with a NUL (runc refuses it, crun cuts it short, so
// the process would not get what the policy judged) or with no '=' (runc
// refuses it). The runtime's refusal would quote the entry, value and all,
// into the reply and the log; this error names its position only.
func checkEnv(env []string) error {
	for i, kv := range env {
		if strings.IndexByte(kv, 0) >= 0 {
			return prot.Errorf(prot.HrInvalidArg, "OciProcess env entry %d contains a NUL byte", i)
		}
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return prot.Errorf(prot.HrInvalidArg, "OciProcess env entry %d is not NAME=value", i)
		}
	}
	return nil
}
