package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

// waitMargin is how much longer than the GCS's own time limit gcsctl waits
// for the answer, so that the GCS's timeout error arrives.
const waitMargin = 5 * time.Second

// waitCommand waits for a process to exit.
func waitCommand() command {
	return command{
		name:    "wait",
		args:    "[--timeout DUR] ID PID",
		summary: "wait for process PID of container ID to exit, print its exit code and exit with it",
		detail: `wait sends WaitForProcess. The global --timeout, when given, is the time
limit of the wait itself (the GCS then answers with a timeout error, exit 1);
without it wait waits forever. An exec's process can be waited for only once:
the GCS forgets it when it has reported its exit. A container's init can be
waited for again and again.`,
		negotiate: true,
		setup: func(*flag.FlagSet) parseFunc {
			return parseWait
		},
	}
}

// parseWait checks wait's arguments.
func parseWait(args []string, _ io.Reader) (action, error) {
	if len(args) != 2 {
		return nil, usageErrorf("wait wants ID PID, got %d arguments", len(args))
	}
	id := args[0]
	if err := checkID(id); err != nil {
		return nil, err
	}
	pid, err := parsePid("wait", args[1])
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, s *session) error { return runWait(ctx, s, id, pid) }, nil
}

// runWait is the wait action.
func runWait(ctx context.Context, s *session, id string, pid uint32) error {
	limit := time.Duration(-1) // forever
	if s.g.timeoutSet && s.g.timeout > 0 {
		limit = s.g.timeout
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit+waitMargin)
		defer cancel()
	}
	code, err := s.client.WaitForProcess(ctx, id, pid, limit)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(s.stdout, code); err != nil {
		return err
	}
	return exitWith(code)
}
