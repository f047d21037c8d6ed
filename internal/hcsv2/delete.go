package hcsv2

import (
	"context"
	"errors"
	"fmt"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/runtime"
)

func (h *Host) handleDeleteContainerState(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.MessageBase
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	c, err := h.createdContainer(req.ContainerID)
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

// A deletion is the removal of a container's state under way: by
// DeleteContainerState or by the daemon's teardown. The container stays in
// the table until it ends, so that its id and its directories are not
// given to a new container while they are being removed; other requests
// meanwhile find it gone (see Host.container). A second deletion of the
// same container joins the first instead of cleaning up again.
type deletion struct {
	done chan struct{}
	// gone and err are set before done is closed: whether the container
	// was deleted (and forgotten), and the deletion's error.
	gone bool
	err  error
}

// beginDeletion claims the deletion of c, or returns the one under way
// with joined set.
func (c *Container) beginDeletion() (d *deletion, joined bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deleting != nil {
		return c.deleting, true
	}
	c.deleting = &deletion{done: make(chan struct{})}
	return c.deleting, false
}

// endDeletion records how the deletion d of c ended and wakes those who
// joined it. A container that is gone leaves the table now, last; one
// that was kept (a refused deletion) may be deleted again.
func (c *Container) endDeletion(d *deletion, gone bool, err error) {
	d.gone, d.err = gone, err
	if gone {
		c.host.forget(c)
	} else {
		c.mu.Lock()
		c.deleting = nil
		c.mu.Unlock()
	}
	close(d.done)
}

// wait returns how deletion d of container id ended, or an error if ctx
// ends first.
func (d *deletion) wait(ctx context.Context, id string) (gone bool, err error) {
	select {
	case <-d.done:
		return d.gone, d.err
	case <-ctx.Done():
		return false, prot.Errorf(prot.HrFail, "wait for the deletion of container %s under way: %w", id, ctx.Err())
	}
}

// deleteState removes the runtime's state, the scratch, the bundle and the
// cgroup, then forgets the container; a DeleteContainerState of a container
// whose deletion is under way returns that one's result once it ends. A
// container still running is refused with invalid-state and kept, so
// nothing is leaked and the host may retry after stopping it (the
// reference forgets it and leaks it). So is a sandbox whose pod still has
// workloads (see closeForDeletion).
func (c *Container) deleteState(ctx context.Context) error {
	d, joined := c.beginDeletion()
	if joined {
		c.log.Debug("join the deletion of the container's state under way")
		_, err := d.wait(ctx, c.id)
		return err
	}
	gone, err := c.removeState(ctx)
	c.endDeletion(d, gone, err)
	return err
}

// removeState does deleteState's work and reports whether the container is
// gone: once the runtime deleted it, it is forgotten whatever the clean-up
// after that gives, as by the reference.
func (c *Container) removeState(ctx context.Context) (gone bool, err error) {
	reopen, err := c.closeForDeletion()
	if err != nil {
		return false, err
	}
	defer func() {
		if !gone {
			reopen()
		}
	}()
	rt := c.host.opts.Runtime
	if err := rt.Delete(ctx, c.id, !c.isStarted()); err != nil {
		switch {
		case errors.Is(err, runtime.ErrNotStopped):
			return false, prot.WithHResult(prot.HrVmcomputeInvalidState, err)
		case errors.Is(err, runtime.ErrNotFound):
		default:
			return false, prot.WithHResult(prot.HrFail, err)
		}
	}
	c.markDeleted()
	<-c.init.done
	if errs := c.removeFiles(); len(errs) > 0 {
		return true, prot.WithHResult(prot.HrFail, fmt.Errorf("clean up container %s: %w", c.id, errors.Join(errs...)))
	}
	c.log.Info("container state deleted")
	return true, nil
}
