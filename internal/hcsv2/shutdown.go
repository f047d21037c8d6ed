package hcsv2

import (
	"context"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
)

// shutdown handles ShutdownGraceful (the runtime's SIGTERM to the init,
// as the reference) and ShutdownForced (SIGKILL to every process of the
// container). For the null container the utility VM itself shuts down.
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
		if err == nil {
			err = h.allowOnly("shutdown", func(e policy.Enforcer) (*policy.Decision, error) {
				return e.ShutdownContainer(ctx, policy.ShutdownContainer{ContainerID: c.id})
			})
		}
		if err != nil {
			w.Error(err)
			return
		}
		if err := c.kill(ctx, int(sig), exitTypeOf(int(sig)), sig == unix.SIGKILL); err != nil {
			w.Error(err)
			return
		}
		w.Respond(&prot.MessageResponseBase{})
	})
}

// shutdownTeardownTimeout bounds shutdownVM's teardown of the containers:
// one that cannot be deleted (an init stuck in the kernel) must not keep
// the utility VM from shutting down.
const shutdownTeardownTimeout = 60 * time.Second

// shutdownVM tears the containers down, replies, then runs the configured
// shutdown action. The reference sends no reply (it powers off at once); a
// reply to a request the host no longer waits for is harmless, and it lets a
// host that does wait know the teardown finished.
func (h *Host) shutdownVM(ctx context.Context, w bridge.ResponseWriter) {
	h.log.Info("shutdown of the utility VM requested")
	ctx, cancel := context.WithTimeout(ctx, shutdownTeardownTimeout)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		h.log.WithError(err).Warn("tear down containers before shutdown")
	}
	w.Respond(&prot.MessageResponseBase{})
	if h.opts.ShutdownVM != nil {
		h.opts.ShutdownVM()
	}
}
