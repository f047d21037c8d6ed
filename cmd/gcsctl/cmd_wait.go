package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"
)

// waitMargin is how much longer than the GCS's own time limit gcsctl waits
// for the answer, so that the GCS's timeout error arrives.
const waitMargin = 5 * time.Second

// waitNotice is how long wait waits without a time limit before it says
// that it does.
const waitNotice = 5 * time.Second

// waitCommand waits for a process to exit.
func waitCommand() command {
	return command{
		name:    "wait",
		args:    "[--timeout DUR] ID [PID]",
		summary: "wait for container ID's init (or process PID) to exit, print its exit code and exit with it",
		detail: `wait sends WaitForProcess. Without PID it waits for the container's init,
whose pid it reads from ROOT/c/ID/init.pid, the file the OCI runtime wrote in
the bundle (the protocol has no request that names a container's init).

As docker wait, wait has no time limit of its own: it waits as long as the
process runs, and says so on stderr after 5s. The global --timeout, when
given, is the time limit of the wait itself (the GCS then answers with a
timeout error, exit 125). An exec's process can be waited for only once: the GCS
forgets it when it has reported its exit. A container's init can be waited for
again and again, until rm.`,
		negotiate:        true,
		exitsWithProcess: true,
		setup: func(*flag.FlagSet) parseFunc {
			return parseWait
		},
	}
}

// parseWait checks wait's arguments.
func parseWait(args []string, _ io.Reader) (action, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, usageErrorf("wait wants ID [PID], got %d arguments", len(args))
	}
	id := args[0]
	if err := checkID(id); err != nil {
		return nil, err
	}
	var pid uint32 // 0: the init
	if len(args) == 2 {
		var err error
		if pid, err = parsePid("wait", args[1]); err != nil {
			return nil, err
		}
	}
	return withID(id, func(ctx context.Context, s *session, id string) error {
		if pid == 0 {
			var err error
			if pid, err = initPid(s.g.root, id); err != nil {
				return err
			}
		}
		return runWait(ctx, s, id, pid)
	}), nil
}

// initPid returns the pid of container id's init, as the runtime wrote it
// in the bundle.
func initPid(root, id string) (uint32, error) {
	r, err := findBundle(root, id)
	if err != nil {
		return 0, err
	}
	if r.InitPid == 0 {
		return 0, fmt.Errorf("container %s has no init pid in %s (not created yet?)", id, filepath.Join(r.Bundle, "init.pid"))
	}
	return r.InitPid, nil
}

// runWait is the wait action.
func runWait(ctx context.Context, s *session, id string, pid uint32) error {
	limit := time.Duration(-1) // forever
	stopNotice := func() {}
	if s.g.timeoutSet && s.g.timeout > 0 {
		limit = s.g.timeout
	} else {
		stopNotice = s.noticeAfter(waitNotice, "gcsctl: waiting for process %d of %s to exit, with no time limit (--timeout DUR sets one; stop %s ends it)\n", pid, id, id)
	}
	code, err := s.waitProcess(ctx, id, pid, limit)
	stopNotice()
	if err != nil {
		return err
	}
	if s.g.json {
		err = s.printJSON(struct {
			ExitCode uint32 `json:"exitCode"`
		}{code})
	} else {
		_, err = fmt.Fprintln(s.stdout, code)
	}
	if err != nil {
		return err
	}
	return exitWith(code)
}

// waitProcess sends WaitForProcess with the time limit limit (negative:
// none), waiting waitMargin longer for the GCS's answer.
func (s *session) waitProcess(ctx context.Context, id string, pid uint32, limit time.Duration) (uint32, error) {
	if limit >= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, limit+waitMargin, &limitError{
			msg: fmt.Sprintf("no answer within --timeout %s (and %s more for the GCS's own timeout reply)", limit, waitMargin)})
		defer cancel()
	}
	return s.client.WaitForProcess(ctx, id, pid, limit)
}
