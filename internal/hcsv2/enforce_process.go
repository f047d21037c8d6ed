package hcsv2

import (
	"context"
	"io"
	"net"
	"sort"
	"strings"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/stdio"
)

// nullStdioKey marks a context whose process may not reach the host's
// stdio: dialStdio then connects nothing (see nullConns).
type nullStdioKey struct{}

// nullStdioIf marks ctx when null is true.
func nullStdioIf(ctx context.Context, null bool) context.Context {
	if !null {
		return ctx
	}
	return context.WithValue(ctx, nullStdioKey{}, true)
}

func nullStdio(ctx context.Context) bool { v, _ := ctx.Value(nullStdioKey{}).(bool); return v }

// nullConns stands in for the host's connections of the streams p
// requests when the policy denies stdio access (the reference's /dev/null
// transport): stdin reads end at once, output is read and discarded. Each
// discarding reader ends when the relay closes its side.
func nullConns(p *prot.ProcessParameters) stdio.Conns {
	var c stdio.Conns
	pipe := func(drain bool) net.Conn {
		ours, theirs := net.Pipe()
		if drain {
			go func() { io.Copy(io.Discard, theirs); theirs.Close() }()
		} else {
			theirs.Close()
		}
		return ours
	}
	if p.CreateStdInPipe {
		c.Stdin = pipe(false)
	}
	if p.CreateStdOutPipe {
		c.Stdout = pipe(true)
	}
	if p.CreateStdErrPipe {
		c.Stderr = pipe(true)
	}
	return c
}

// withoutStdio returns p with no stream requested when allowed is false
// (the ports an init's output would re-dial).
func withoutStdio(p *prot.ProcessParameters, allowed bool) *prot.ProcessParameters {
	if allowed {
		return p
	}
	q := *p
	q.CreateStdInPipe, q.CreateStdOutPipe, q.CreateStdErrPipe = false, false, false
	return &q
}

// enforcedExec completes the host's process (execSpec), asks
// exec_in_container about it as completed, applies the environment and
// capabilities the policy keeps, and runs that same process.
func (c *Container) enforcedExec(ctx context.Context, params *prot.ProcessParameters, s prot.ExecuteProcessVsockStdioRelaySettings) (uint32, error) {
	h := c.host
	spec, named, err := c.execSpec(ctx, params.OCIProcess)
	if err != nil {
		return 0, err
	}
	usr, groups, umask, err := h.policyUser(ctx, c.rootfs, spec.User, named)
	if err != nil {
		return 0, err
	}
	d, err := h.decide("exec in container", func(e policy.Enforcer) (*policy.Decision, error) {
		return e.ExecInContainer(ctx, policy.ExecInContainer{
			ContainerID: c.id, Args: spec.Args, Env: spec.Env, WorkingDir: spec.Cwd,
			NoNewPrivileges: spec.NoNewPrivileges, User: usr, Groups: groups, Umask: umask,
			Capabilities: spec.Capabilities,
		})
	})
	if err != nil {
		return 0, err
	}
	if spec.Terminal && !d.AllowStdioAccess {
		return 0, h.settle(ctx, d, prot.Errorf(prot.HrFail, "exec in container of a process that needs a terminal denied: the policy does not allow stdio access"))
	}
	spec.Env = d.Env
	if d.Capabilities != nil {
		spec.Capabilities = d.Capabilities
	}
	pid, err := c.execProcess(nullStdioIf(ctx, !d.AllowStdioAccess), spec, params, s)
	return pid, h.settle(ctx, d, err)
}

// enforcedUVMProcess asks exec_external about a process of the utility VM
// and starts it with the environment the policy keeps. The policy is shown
// the argv that runs: CommandArgs, or CommandLine split when there are
// none (the reference shows CommandArgs alone, empty for a CommandLine).
func (h *Host) enforcedUVMProcess(ctx context.Context, params *prot.ProcessParameters, s prot.ExecuteProcessVsockStdioRelaySettings) (uint32, error) {
	argv, err := uvmArgv(params)
	if err != nil {
		return 0, err
	}
	env := make([]string, 0, len(params.Environment))
	for k, v := range params.Environment {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	d, err := h.decide("exec", func(e policy.Enforcer) (*policy.Decision, error) {
		return e.ExecExternal(ctx, policy.ExecExternal{Args: argv, Env: env, WorkingDir: params.WorkingDirectory})
	})
	if err != nil {
		return 0, err
	}
	if params.EmulateConsole && !d.AllowStdioAccess {
		return 0, h.settle(ctx, d, prot.Errorf(prot.HrFail, "exec of a process that needs a terminal denied: the policy does not allow stdio access"))
	}
	q := *params
	q.Environment = make(map[string]string, len(d.Env))
	for _, kv := range d.Env {
		k, v, _ := strings.Cut(kv, "=")
		q.Environment[k] = v
	}
	pid, err := h.startUVMProcess(nullStdioIf(ctx, !d.AllowStdioAccess), argv, &q, s)
	return pid, h.settle(ctx, d, err)
}

// GuardDumpStacks has the policy decide on each DumpStacks before next
// answers it.
func (h *Host) GuardDumpStacks(next bridge.Handler) bridge.Handler {
	return bridge.HandlerFunc(func(ctx context.Context, w bridge.ResponseWriter, r *bridge.Request) {
		d, err := h.decide("dump stacks", func(e policy.Enforcer) (*policy.Decision, error) { return e.DumpStacks(ctx) })
		if err != nil {
			w.Error(err)
			return
		}
		d.Commit()
		next.ServeMsg(ctx, w, r)
	})
}

// allowOnly asks a question whose decision records nothing worth undoing
// (get_properties, shutdown, signal), keeping it at once.
func (h *Host) allowOnly(what string, ask func(policy.Enforcer) (*policy.Decision, error)) error {
	d, err := h.decide(what, ask)
	if err != nil {
		return err
	}
	d.Commit()
	return nil
}

// applyRuntimeLogging lets the GCS log only when e (the enforcer in force)
// allows runtime_logging, as the reference decides when a policy is set
// (and at start for the initial stance). out is where logs go when they
// are allowed.
func (h *Host) applyRuntimeLogging(ctx context.Context, e policy.Enforcer, out io.Writer) {
	if out == nil {
		return
	}
	d, err := e.RuntimeLogging(ctx)
	if err != nil {
		h.log.Logger.SetOutput(io.Discard)
		return
	}
	d.Commit()
	h.log.Logger.SetOutput(out)
}

// inOrder runs handler one request at a time once a security policy is
// set, so that each decision and its operation happen in the order the
// host sent them (the reference handles a confidential VM's requests
// sequentially).
func (h *Host) inOrder(handler bridge.Handler) bridge.Handler {
	return bridge.HandlerFunc(func(ctx context.Context, w bridge.ResponseWriter, r *bridge.Request) {
		if h.hasSecurityPolicy() {
			h.serial.Lock()
			defer h.serial.Unlock()
		}
		handler.ServeMsg(ctx, w, r)
	})
}

// enforceSignal asks signal_container_process about sig to p of c, with
// the command line p was started with.
func (h *Host) enforceSignal(ctx context.Context, c *Container, p *process, sig int) error {
	args := p.args
	if p == c.init {
		args = c.spec.Process.Args
	}
	return h.allowOnly("signal", func(e policy.Enforcer) (*policy.Decision, error) {
		return e.SignalContainerProcess(ctx, policy.SignalContainerProcess{
			ContainerID: c.id, Signal: sig, IsInitProcess: p == c.init, StartupArgs: args,
		})
	})
}
