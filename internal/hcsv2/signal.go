package hcsv2

import (
	"context"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
)

func (h *Host) handleSignalProcess(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.ContainerSignalProcess
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	c, p, err := h.containerProcess(req.ContainerID, req.ProcessID)
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
	if err := h.enforceSignal(ctx, c, p, sig); err != nil {
		return nil, err
	}
	// As the reference: the signal reaches the process alone, the init
	// included (never the rest of its container); a SIGTERM or SIGKILL to
	// the init records how the container is being stopped.
	if p == c.init && (sig == int(unix.SIGKILL) || sig == int(unix.SIGTERM)) {
		if err := c.signalInit(unix.Signal(sig)); err != nil {
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
