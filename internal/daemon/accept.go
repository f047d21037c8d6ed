package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/sirupsen/logrus"
)

// The pause after a failed Accept starts at acceptRetryInitial and doubles
// up to acceptRetryMax, as net/http's server does: short enough that the
// host is served soon after descriptors or memory come back, long enough
// that a listener failing at every call neither spins nor floods the log.
const (
	acceptRetryInitial = 5 * time.Millisecond
	acceptRetryMax     = time.Second
)

// accept waits for the next host connection on ln. A failed Accept (out of
// descriptors or memory, a connection aborted before it was taken, an
// interrupted call) never ends the daemon: it is logged and Accept called
// again after a pause. Only ctx ending or ln being closed ends the wait,
// with an error.
func (d *Daemon) accept(ctx context.Context, ln net.Listener) (net.Conn, error) {
	delay := acceptRetryInitial
	for attempt := 1; ; attempt++ {
		conn, err := ln.Accept()
		if err == nil {
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
			return nil, fmt.Errorf("accept host connection on %s: %w", d.cfg.Bridge, err)
		}
		d.log.WithError(err).WithFields(logrus.Fields{"attempt": attempt, "retry-in": delay}).
			Warn("accept host connection failed; retrying")
		sleep(ctx, delay)
		delay = min(2*delay, acceptRetryMax)
	}
}
