package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// stopPoll is how often stop looks whether the container's processes are
// gone.
const stopPoll = 100 * time.Millisecond

// defaultStopGrace is how long stop waits after TERM before KILL, as
// docker stop's default.
const defaultStopGrace = 10 * time.Second

// stopCommand stops a container: TERM, then KILL after a grace period.
func stopCommand() command {
	return command{
		name:    "stop",
		args:    "[--time DUR] ID",
		summary: "stop container ID: TERM to its processes, KILL if they are still there after --time",
		detail: `stop sends ShutdownGraceful (TERM to the container's processes) and waits until
GetProperties ProcessList lists no process of the container (or the GCS no
longer has processes to list for it, its init having exited); if processes are
left after --time (default 10s) it sends ShutdownForced (KILL) and waits again,
within --timeout. An init that ignores TERM (pid 1 of its namespace gets only
the signals it handles) is thus killed after the grace period, where kill
--signal TERM alone would leave it running. The container's state stays:
remove it with rm.`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			grace := fs.Duration("time", defaultStopGrace, "grace period `DUR` between TERM and KILL")
			return oneID("stop", func(ctx context.Context, s *session, id string) error {
				return runStop(ctx, s, id, *grace)
			})
		},
	}
}

// runStop is the stop action.
func runStop(ctx context.Context, s *session, id string, grace time.Duration) error {
	if err := s.shutdown(ctx, id, false); err != nil {
		return fmt.Errorf("stop %s: ShutdownGraceful: %w", id, err)
	}
	gone, err := s.waitNoProcesses(ctx, id, grace)
	if err != nil || gone {
		return err
	}
	fmt.Fprintf(s.stderr, "gcsctl: %s still has processes after %v: killing it\n", id, grace)
	if err := s.shutdown(ctx, id, true); err != nil {
		return fmt.Errorf("stop %s: ShutdownForced: %w", id, err)
	}
	limit := s.g.timeout
	if limit <= 0 {
		limit = defaultTimeout
	}
	if gone, err = s.waitNoProcesses(ctx, id, limit); err == nil && !gone {
		err = fmt.Errorf("stop %s: processes still there %v after ShutdownForced", id, limit)
	}
	return err
}

// shutdown sends ShutdownForced or ShutdownGraceful within --timeout.
func (s *session) shutdown(ctx context.Context, id string, forced bool) error {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	if forced {
		return s.client.ShutdownForced(ctx, id)
	}
	return s.client.ShutdownGraceful(ctx, id)
}

// waitNoProcesses polls container id's process list until it is empty or
// cannot be had (the init exited and its cgroup went with it), for at most
// limit; it reports whether the processes are gone.
func (s *session) waitNoProcesses(ctx context.Context, id string, limit time.Duration) (bool, error) {
	deadline := time.Now().Add(limit)
	for {
		rctx, cancel := s.requestContext(ctx)
		props, err := s.client.GetProperties(rctx, id, prot.PtProcessList)
		cancel()
		if ctx.Err() != nil {
			return false, context.Cause(ctx)
		}
		var reply *client.Error
		if errors.As(err, &reply) {
			return true, nil // no processes to list: the init is gone
		}
		if err != nil {
			return false, err
		}
		if len(props.ProcessList) == 0 {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-time.After(stopPoll):
		case <-ctx.Done():
			return false, context.Cause(ctx)
		}
	}
}
