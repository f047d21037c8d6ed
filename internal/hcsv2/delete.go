package hcsv2

import (
	"context"
	"errors"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/runtime"
)

func (h *Host) handleDeleteContainerState(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.MessageBase
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	c, err := h.container(req.ContainerID)
	if err == nil {
		err = h.checkConfidentialDelete(c)
	}
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
// after stopping it (the reference forgets it and leaks it). So is a
// sandbox whose pod still has workloads (see checkPodEmpty).
func (c *Container) deleteState(ctx context.Context) error {
	if err := c.checkPodEmpty(); err != nil {
		return err
	}
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
