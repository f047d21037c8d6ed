package hcsv2

import (
	"context"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/reaper"
)

// notifyGrace is how long the exit notification of an init nobody has waited
// on yet is held back for a wait to arrive, so that a host that waits right
// after starting the init (as hcsshim does) always gets the wait reply first.
const notifyGrace = time.Second

// watchInit follows the init to its end: when the container does not own its
// pid namespace the rest of it is killed (as the kernel would), output is
// drained, the exit published to waiters, and then the one notification sent.
func (c *Container) watchInit(exits <-chan reaper.Exit) {
	c.init.watch(exits, func() {
		if c.ownsPidNS {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.host.opts.Runtime.Kill(ctx, c.id, unix.SIGKILL, true); err != nil {
			c.log.WithError(err).Debug("kill the rest of the container after its init exited")
		}
	})
	c.log.WithField("exitCode", c.init.exitCode).Info("container init exited")
	c.awaitInitWaits()
	c.mu.Lock()
	deleted, exitType := c.deleted, c.exitType
	c.mu.Unlock()
	if deleted {
		// The host forgot the container; a notification for an id it does
		// not track would make it drop the bridge.
		return
	}
	n := &prot.ContainerNotification{
		MessageBase: prot.MessageBase{ContainerID: c.id, ActivityID: c.activityID},
		Type:        exitType,
		Operation:   prot.AoNone,
	}
	if n.ActivityID == "" {
		n.ActivityID = prot.NullContainerID
	}
	if err := c.host.opts.Notify(n); err != nil {
		c.log.WithError(err).Error("send exit notification")
	}
}

// awaitInitWaits returns once every wait on the init that was pending at its
// exit has been answered, and, when none was ever answered, after a wait is
// answered or notifyGrace passes.
func (c *Container) awaitInitWaits() {
	grace := time.NewTimer(notifyGrace)
	defer grace.Stop()
	graceOver := false
	for {
		c.mu.Lock()
		ready := c.initWaiters == 0 && (c.initAnswered > 0 || graceOver || c.deleted)
		c.mu.Unlock()
		if ready {
			return
		}
		select {
		case <-c.waitEvents:
		case <-grace.C:
			graceOver = true
		}
	}
}

// beginInitWait and endInitWait bracket a WaitForProcess on the init; end
// is called after the reply was written.
func (c *Container) beginInitWait() {
	c.mu.Lock()
	c.initWaiters++
	c.mu.Unlock()
}

func (c *Container) endInitWait(answered bool) {
	c.mu.Lock()
	c.initWaiters--
	if answered {
		c.initAnswered++
	}
	c.mu.Unlock()
	select {
	case c.waitEvents <- struct{}{}:
	default:
	}
}
