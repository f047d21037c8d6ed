package hcsv2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/runtime"
)

// decode unmarshals a request body with the invalid-JSON HRESULT on failure.
func decode(r *bridge.Request, v any) error {
	if err := prot.UnmarshalJSON(r.Body, v); err != nil {
		return fmt.Errorf("failed to unmarshal JSON in message %.200q: %w", r.Body, err)
	}
	return nil
}

func (h *Host) handleCreate(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.ContainerCreate
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	cfg, err := decodeContainerConfig(req.ContainerConfig)
	if err != nil {
		return nil, err
	}
	if err := h.CreateContainer(ctx, req.ContainerID, req.ActivityID, cfg); err != nil {
		return nil, err
	}
	return &prot.ContainerCreateResponse{}, nil
}

// handleStart succeeds without looking anything up: on Linux the init is
// started by the first ExecuteProcess, as with the reference.
func (h *Host) handleStart(_ context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.MessageBase
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return &prot.MessageResponseBase{}, nil
}

func (h *Host) handleExecuteProcess(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.ContainerExecuteProcess
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	var params prot.ProcessParameters
	if err := prot.UnmarshalJSON([]byte(req.Settings.ProcessParameters), &params); err != nil {
		return nil, fmt.Errorf("failed to unmarshal JSON for ProcessParameters %.200q: %w", req.Settings.ProcessParameters, err)
	}
	relay := req.Settings.VsockStdioRelaySettings
	var pid uint32
	var err error
	if params.IsExternal || req.ContainerID == prot.NullContainerID {
		pid, err = h.startUVMProcess(ctx, &params, relay)
	} else {
		var c *Container
		if c, err = h.container(req.ContainerID); err != nil {
			return nil, err
		}
		if params.OCIProcess == nil {
			pid, err = c.startInit(ctx, &params, relay)
		} else {
			pid, err = c.execProcess(ctx, &params, relay)
		}
	}
	if err != nil {
		return nil, err
	}
	return &prot.ContainerExecuteProcessResponse{ProcessID: pid}, nil
}

// handleWaitForProcess replies once the process has exited and its output
// has been relayed. It writes its own reply so that a wait on an init is
// counted as answered only after the reply is on the wire.
func (h *Host) handleWaitForProcess(ctx context.Context, w bridge.ResponseWriter, r *bridge.Request) {
	var req prot.ContainerWaitForProcess
	if err := decode(r, &req); err != nil {
		w.Error(err)
		return
	}
	if req.ContainerID == prot.NullContainerID {
		p, err := h.uvmProcess(req.ProcessID)
		if err != nil {
			w.Error(err)
			return
		}
		code, err := p.wait(ctx, req.TimeoutInMs)
		if err != nil {
			w.Error(err)
			return
		}
		h.releaseUVMProcess(p)
		w.Respond(&prot.ContainerWaitForProcessResponse{ExitCode: code})
		return
	}
	c, err := h.container(req.ContainerID)
	if err != nil {
		w.Error(err)
		return
	}
	p, err := c.process(req.ProcessID)
	if err != nil {
		w.Error(err)
		return
	}
	isInit := p == c.init
	if isInit {
		c.beginInitWait()
	}
	code, err := p.wait(ctx, req.TimeoutInMs)
	if err != nil {
		w.Error(err)
	} else {
		if !isInit {
			c.releaseExec(p)
		}
		w.Respond(&prot.ContainerWaitForProcessResponse{ExitCode: code})
	}
	if isInit {
		c.endInitWait(err == nil)
	}
}

func (h *Host) handleSignalProcess(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.ContainerSignalProcess
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	c, err := h.container(req.ContainerID)
	if err != nil {
		return nil, err
	}
	p, err := c.process(req.ProcessID)
	if err != nil {
		return nil, err
	}
	sig := int(req.Options.Signal)
	if sig == 0 {
		sig = int(unix.SIGKILL)
	}
	if sig < 0 || sig > 64 {
		return nil, prot.Errorf(prot.HrInvalidArg, "invalid signal %d", sig)
	}
	if p == c.init && (sig == int(unix.SIGKILL) || sig == int(unix.SIGTERM)) {
		if p.hasExited() {
			return nil, prot.Errorf(prot.HrElementNotFound, "process %d has already exited", p.pid)
		}
		if err := c.kill(ctx, sig, exitTypeOf(sig)); err != nil {
			return nil, err
		}
		return &prot.MessageResponseBase{}, nil
	}
	if err := p.signal(unix.Signal(sig)); err != nil {
		return nil, err
	}
	return &prot.MessageResponseBase{}, nil
}

func exitTypeOf(sig int) prot.NotificationType {
	if sig == int(unix.SIGKILL) {
		return prot.NtForcedExit
	}
	return prot.NtGracefulExit
}

func sigOf(sig int) unix.Signal { return unix.Signal(sig) }

// shutdown handles ShutdownGraceful (SIGTERM) and ShutdownForced (SIGKILL).
// For the null container the utility VM itself shuts down, with no reply.
func (h *Host) shutdown(sig unix.Signal) bridge.Handler {
	return bridge.HandlerFunc(func(ctx context.Context, w bridge.ResponseWriter, r *bridge.Request) {
		var req prot.MessageBase
		if err := decode(r, &req); err != nil {
			w.Error(err)
			return
		}
		if req.ContainerID == prot.NullContainerID {
			h.shutdownVM(ctx, w)
			return
		}
		c, err := h.container(req.ContainerID)
		if err != nil {
			w.Error(err)
			return
		}
		if err := c.kill(ctx, int(sig), exitTypeOf(int(sig))); err != nil {
			w.Error(err)
			return
		}
		w.Respond(&prot.MessageResponseBase{})
	})
}

// shutdownVM tears the containers down, replies, then runs the configured
// shutdown action. The reference sends no reply (it powers off at once); a
// reply to a request the host no longer waits for is harmless, and it lets a
// host that does wait know the teardown finished.
func (h *Host) shutdownVM(ctx context.Context, w bridge.ResponseWriter) {
	h.log.Info("shutdown of the utility VM requested")
	if err := h.Close(ctx); err != nil {
		h.log.WithError(err).Warn("tear down containers before shutdown")
	}
	w.Respond(&prot.MessageResponseBase{})
	if h.opts.ShutdownVM != nil {
		h.opts.ShutdownVM()
	}
}

func (h *Host) handleResizeConsole(_ context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.ContainerResizeConsole
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	c, err := h.container(req.ContainerID)
	if err != nil {
		return nil, err
	}
	p, err := c.process(req.ProcessID)
	if err != nil {
		return nil, err
	}
	if err := p.resize(req.Width, req.Height); err != nil {
		return nil, err
	}
	return &prot.MessageResponseBase{}, nil
}

func (h *Host) handleGetProperties(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.ContainerGetProperties
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	var q prot.PropertyQuery
	if req.Query != "" {
		if err := prot.UnmarshalJSON([]byte(req.Query), &q); err != nil {
			return nil, fmt.Errorf("The query could not be unmarshaled: '%.200s': %w", req.Query, err)
		}
	}
	if req.ContainerID == prot.NullContainerID {
		return nil, prot.Errorf(prot.HrFail, "getPropertiesV2 is not supported against the UVM")
	}
	c, err := h.container(req.ContainerID)
	if err != nil {
		return nil, err
	}
	props, err := c.properties(ctx, q.PropertyTypes)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(props)
	if err != nil {
		return nil, prot.Errorf(prot.HrFail, "encode properties: %w", err)
	}
	return &prot.ContainerGetPropertiesResponse{Properties: string(b)}, nil
}

// properties answers ProcessList and Statistics from the container's
// cgroup; other property types are ignored, as by the reference.
func (c *Container) properties(ctx context.Context, types []prot.PropertyType) (*prot.PropertiesV2, error) {
	var props prot.PropertiesV2
	cg := c.host.opts.Cgroups
	for _, t := range types {
		switch t {
		case prot.PtProcessList:
			if cg == nil {
				return nil, prot.Errorf(prot.HrFail, "no cgroup manager")
			}
			pids, err := cg.Pids(c.cgroupPath)
			if err != nil {
				return nil, prot.Errorf(prot.HrFail, "list processes of %s: %w", c.id, err)
			}
			props.ProcessList = make([]prot.ProcessDetails, len(pids))
			for i, pid := range pids {
				props.ProcessList[i].ProcessID = pid
			}
		case prot.PtStatistics:
			if cg == nil {
				return nil, prot.Errorf(prot.HrFail, "no cgroup manager")
			}
			m, err := cg.Stats(ctx, c.cgroupPath)
			if err != nil {
				return nil, prot.Errorf(prot.HrFail, "statistics of %s: %w", c.id, err)
			}
			props.Metrics = m
		}
	}
	return &props, nil
}

func (h *Host) handleDeleteContainerState(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.MessageBase
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	c, err := h.container(req.ContainerID)
	if err != nil {
		return nil, err
	}
	if err := c.deleteState(ctx); err != nil {
		return nil, err
	}
	return &prot.MessageResponseBase{}, nil
}

// deleteState removes the runtime's state, the scratch, the bundle and the
// cgroup, then forgets the container. A container still running is refused
// with invalid-state and kept, so nothing is leaked and the host may retry
// after stopping it (the reference forgets it and leaks it).
func (c *Container) deleteState(ctx context.Context) error {
	rt := c.host.opts.Runtime
	if err := rt.Delete(ctx, c.id, !c.isStarted()); err != nil {
		switch {
		case errors.Is(err, runtime.ErrNotStopped):
			return prot.WithHResult(prot.HrVmcomputeInvalidState, err)
		case errors.Is(err, runtime.ErrNotFound):
		default:
			return prot.WithHResult(prot.HrFail, err)
		}
	}
	c.markDeleted()
	c.host.forget(c)
	<-c.init.done
	if errs := c.removeFiles(); len(errs) > 0 {
		return prot.WithHResult(prot.HrFail, errors.Join(errs...))
	}
	c.log.Info("container state deleted")
	return nil
}
