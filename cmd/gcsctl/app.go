package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/transport"
)

// Defaults of the global flags.
const (
	addrEnv        = "GCSCTL_ADDR"
	defaultAddr    = "unix:///run/gcs/bridge.sock"
	defaultTimeout = 30 * time.Second
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// app is one gcsctl invocation's environment.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// run executes gcsctl with args (without the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	return a.run(ctx, args)
}

// globals are the flags every command accepts, before or after its name.
type globals struct {
	addr        string
	listen      bool
	json        bool
	timeout     time.Duration
	noNegotiate bool
}

// register defines the global flags on fs, with g's current values as
// defaults so that registering them again for a command keeps them.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.addr, "addr", g.addr, "`ADDR` of the bridge: unix:///PATH, vsock://CID:PORT or tcp://HOST:PORT\n(default $"+addrEnv+", else "+defaultAddr+")")
	fs.BoolVar(&g.listen, "listen", g.listen, "listen on ADDR and wait for the GCS to dial in, as the host does")
	fs.BoolVar(&g.json, "json", g.json, "print responses as JSON")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "time limit `DUR` for connecting and for each request; 0 means none\n(default 30s)")
	fs.BoolVar(&g.noNegotiate, "no-negotiate", g.noNegotiate, "do not send NegotiateProtocol before the command")
}

// invocation is a parsed command line.
type invocation struct {
	g       globals
	cmd     command
	act     action
	help    bool   // print help instead of running anything
	helpFor string // the command whose help to print; "" for the overview
}

// run parses args, then runs the command or prints help.
func (a *app) run(ctx context.Context, args []string) int {
	inv, err := a.parse(args)
	if err != nil {
		return a.report(err)
	}
	if inv.help {
		if err := a.help(a.stdout, inv.helpFor); err != nil {
			return a.report(err)
		}
		return exitOK
	}
	if err := a.execute(ctx, inv); err != nil {
		return a.report(err)
	}
	return exitOK
}

// parse turns the command line into an invocation. Its errors are usage
// errors except where a command's parser reports otherwise.
func (a *app) parse(args []string) (*invocation, error) {
	inv := &invocation{g: globals{addr: a.getenv(addrEnv), timeout: defaultTimeout}}
	if inv.g.addr == "" {
		inv.g.addr = defaultAddr
	}
	fs := newFlagSet("gcsctl")
	inv.g.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			inv.help = true
			return inv, nil
		}
		return nil, usageErrorf("%v", err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return nil, usageErrorf("no command given")
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		if len(rest) > 1 {
			return nil, usageErrorf("help takes at most one command name")
		}
		inv.help = true
		if len(rest) == 1 {
			inv.helpFor = rest[0]
		}
		return inv, nil
	}
	cmd, ok := lookupCommand(name)
	if !ok {
		return nil, usageErrorf("unknown command %q", name)
	}
	inv.cmd = cmd
	cfs := newFlagSet("gcsctl " + name)
	inv.g.register(cfs)
	parseArgs := cmd.setup(cfs)
	if err := cfs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			inv.help, inv.helpFor = true, name
			return inv, nil
		}
		return nil, usageErrorf("%s: %v", name, err)
	}
	if inv.g.timeout < 0 {
		return nil, usageErrorf("--timeout must not be negative")
	}
	if _, err := transport.ParseAddr(inv.g.addr); err != nil {
		return nil, usageErrorf("--addr: %v", err)
	}
	act, err := parseArgs(cfs.Args(), a.stdin)
	if err != nil {
		return nil, err
	}
	inv.act = act
	return inv, nil
}

// newFlagSet returns a flag set that reports errors instead of printing
// them or exiting.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// execute connects, negotiates if the command wants it, and runs the action.
func (a *app) execute(ctx context.Context, inv *invocation) error {
	c, err := a.connect(ctx, inv.g)
	if err != nil {
		return err
	}
	defer c.Close()
	s := &session{client: c, g: inv.g, stdout: a.stdout, stderr: a.stderr}
	if inv.cmd.negotiate && !inv.g.noNegotiate {
		if _, err := s.negotiate(ctx); err != nil {
			return err
		}
	}
	return inv.act(ctx, s)
}

// connect dials the GCS, or with --listen waits for it to dial in, within
// the --timeout limit.
func (a *app) connect(ctx context.Context, g globals) (*client.Client, error) {
	ctx, cancel := withTimeout(ctx, g.timeout)
	defer cancel()
	if !g.listen {
		return client.Dial(ctx, g.addr)
	}
	l, err := client.Listen(g.addr)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	fmt.Fprintf(a.stderr, "gcsctl: listening on %s, waiting for the GCS to connect\n", g.addr)
	c, err := l.Accept(ctx)
	if err != nil {
		return nil, fmt.Errorf("wait for the GCS to connect to %s: %w", g.addr, err)
	}
	return c, nil
}

// withTimeout bounds ctx by d unless d is zero.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// usageError is a mistake on the command line (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf returns a usageError.
func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// report prints err to stderr and returns the exit code it implies.
func (a *app) report(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(a.stderr, "error: %s\nRun 'gcsctl help' for usage.\n", ue.msg)
		return exitUsage
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		if ce.Message == "" {
			fmt.Fprintf(a.stderr, "error: HRESULT %s\n", ce.HResult.Hex())
		} else {
			if strings.HasPrefix(ce.Message, "HRESULT") {
				// The GCS already names the HRESULT in its message.
				fmt.Fprintf(a.stderr, "error: %s\n", ce.Message)
			} else {
				fmt.Fprintf(a.stderr, "error: HRESULT %s: %s\n", ce.HResult.Hex(), ce.Message)
			}
		}
		return exitError
	}
	fmt.Fprintf(a.stderr, "error: %v\n", err)
	return exitError
}
