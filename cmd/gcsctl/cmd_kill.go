package main

import (
	"context"
	"flag"
	"io"
	"syscall"
)

// killCommand signals a container or one of its processes.
func killCommand() command {
	return command{
		name:    "kill",
		args:    "[--signal N|NAME] ID [PID]",
		summary: "signal every process of container ID, or only process PID",
		detail: `Without PID, KILL (the default) sends ShutdownForced, which kills every
process of the container, and TERM sends ShutdownGraceful, which has the runtime
send SIGTERM to the container's init; no other signal can be sent that way.
With PID, SignalProcess sends the signal (default KILL) to that process only,
the init included. The signal is a number or a name, with or without SIG.
kill does not wait: a container's init (pid 1 of its namespace) ignores the
signals it does not handle, TERM included; stop sends TERM, then KILL after a
grace period.`,
		negotiate: true,
		setup:     setupKill,
	}
}

// killOptions is a parsed kill command line.
type killOptions struct {
	id     string
	pid    uint32 // 0: the whole container
	signal int32
}

// setupKill defines kill's flags.
func setupKill(fs *flag.FlagSet) parseFunc {
	sig := fs.String("signal", "KILL", "signal `N|NAME` to send")
	return func(args []string, _ io.Reader) (action, error) {
		o, err := parseKill(*sig, args)
		if err != nil {
			return nil, err
		}
		return withID(o.id, func(ctx context.Context, s *session, id string) error {
			o.id = id
			return runKill(ctx, s, o)
		}), nil
	}
}

// parseKill checks kill's arguments.
func parseKill(sig string, args []string) (*killOptions, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, usageErrorf("kill wants ID [PID], got %d arguments", len(args))
	}
	o := &killOptions{id: args[0]}
	if err := checkID(o.id); err != nil {
		return nil, err
	}
	n, err := parseSignal(sig)
	if err != nil {
		return nil, usageErrorf("kill: --signal: %v", err)
	}
	o.signal = n
	if len(args) == 2 {
		if o.pid, err = parsePid("kill", args[1]); err != nil {
			return nil, err
		}
		return o, nil
	}
	if n != int32(syscall.SIGKILL) && n != int32(syscall.SIGTERM) {
		return nil, usageErrorf("kill: without PID only KILL and TERM can be sent (ShutdownForced, ShutdownGraceful), not %s", sig)
	}
	return o, nil
}

// runKill is the kill action.
func runKill(ctx context.Context, s *session, o *killOptions) error {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	switch {
	case o.pid != 0:
		return s.client.SignalProcess(ctx, o.id, o.pid, o.signal)
	case o.signal == int32(syscall.SIGTERM):
		return s.client.ShutdownGraceful(ctx, o.id)
	}
	return s.client.ShutdownForced(ctx, o.id)
}
