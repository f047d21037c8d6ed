package daemon

import (
	"context"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
)

// Stopping is closed once the daemon has begun to stop, whatever the
// reason: the end of the context Run serves under (a stop signal), the
// end of its input in stdio mode, or Shutdown of the utility VM (from the
// moment it is received: its teardown of the containers comes first). A
// stop signal that arrives after a stop it did not ask for began needs no
// second one to be impatient: the stop is already under way, and the
// signal may cut its teardown short (AbortTeardown).
func (d *Daemon) Stopping() <-chan struct{} { return d.stopping }

// beginStop marks the daemon as stopping (see Stopping).
func (d *Daemon) beginStop(reason string) {
	d.stoppingOnce.Do(func() {
		d.log.WithField("reason", reason).Debug("the daemon is stopping")
		close(d.stopping)
	})
}

// markShutdown wraps the routes of a daemon with host state so that
// Shutdown of the utility VM marks the daemon as stopping before its
// handler tears the containers down.
func (d *Daemon) markShutdown(next bridge.Handler) bridge.Handler {
	return bridge.HandlerFunc(func(ctx context.Context, w bridge.ResponseWriter, r *bridge.Request) {
		switch r.Header.Type {
		case prot.ComputeSystemShutdownGracefulV1, prot.ComputeSystemShutdownForcedV1:
			if r.ContainerID == prot.NullContainerID && r.Version == prot.PvV4 {
				d.beginStop("shutdown of the utility VM")
			}
		}
		next.ServeMsg(ctx, w, r)
	})
}
