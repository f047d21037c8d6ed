package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/transport"
)

// Defaults of the global flags.
const (
	addrEnv        = "GCSCTL_ADDR"
	defaultAddr    = "unix:///run/gcs/bridge.sock"
	relayEnv       = "GCSCTL_RELAY"
	defaultRelay   = "unix:///run/gcs/relay"
	listenEnv      = "GCSCTL_LISTEN"
	rootEnv        = "GCSCTL_ROOT"
	defaultRoot    = "/run/gcs"
	defaultTimeout = 30 * time.Second
	// debugEnv, when true, makes gcsctl tell what it ignores.
	debugEnv = "GCSCTL_DEBUG"
)

// app is one gcsctl invocation's environment.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// signals delivers the interrupts gcsctl receives (SIGINT, SIGTERM);
	// nil when there are none to watch.
	signals <-chan os.Signal
	// jsonErrors makes report print errors as JSON (--json).
	jsonErrors bool
}

// run executes gcsctl with args (without the program name) and its own
// standard streams, and returns the exit code. A nil stdin reads as empty.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWithSignals(ctx, args, nil, stdin, stdout, stderr)
}

// runWithSignals is run with the interrupts gcsctl receives: an attached
// run or exec forwards the first to its process (see session.watchSignals),
// any other command stops as if ctx ended.
func runWithSignals(ctx context.Context, args []string, signals <-chan os.Signal, stdin io.Reader, stdout, stderr io.Writer) int {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, signals: signals}
	return a.run(ctx, args)
}

// globals are the flags every command accepts, before or after its name.
type globals struct {
	addr        string
	listen      bool
	json        bool
	timeout     time.Duration
	noNegotiate bool
	relay       string // relay port prefix gcsctl listens on for stdio
	root        string // the GCS's state directory, for bundle paths
	// timeoutSet records that --timeout was given, which wait reads as
	// the time limit of the wait itself.
	timeoutSet bool
}

// register defines the global flags on fs, with g's current values as
// defaults so that registering them again for a command keeps them.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.addr, "addr", g.addr, "`ADDR` of the bridge: unix:///PATH, vsock://CID:PORT or tcp://HOST:PORT\n(default $"+addrEnv+", else "+defaultAddr+")")
	fs.BoolVar(&g.listen, "listen", g.listen, "listen on ADDR and wait for the GCS to dial in, as the host does\n(default $"+listenEnv+", else false)")
	fs.BoolVar(&g.json, "json", g.json, "print output as JSON (ls, ps, stats, wait, run -d, pod run, negotiate,\nversion, stacks, raw) and errors as a JSON object on stderr")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "time limit `DUR` for connecting and for each request; 0 means none\n(default 30s; 2m10s for a create, which the GCS bounds at 2m;\ncleaning up after a failure has 30s of its own)")
	fs.BoolVar(&g.noNegotiate, "no-negotiate", g.noNegotiate, "do not send NegotiateProtocol before the command")
	fs.StringVar(&g.relay, "relay", g.relay, "relay port `PREFIX` gcsctl listens on for process stdio:\n"+
		"unix:///DIR, vsock://CID or tcp://HOST; must match gcs -relay\n"+
		"(default $"+relayEnv+", else "+defaultRelay+")")
	fs.StringVar(&g.root, "root", g.root, "the GCS's state `DIR` (its -root): containers' bundles are DIR/c/ID\n"+
		"(default $"+rootEnv+", else "+defaultRoot+")")
}

// defaultGlobals returns the global flags' values before parsing: the
// defaults, overridden by the environment.
func (a *app) defaultGlobals() globals {
	g := globals{addr: a.getenv(addrEnv), relay: a.getenv(relayEnv), root: a.getenv(rootEnv), timeout: defaultTimeout}
	g.listen, _ = strconv.ParseBool(a.getenv(listenEnv))
	if g.addr == "" {
		g.addr = defaultAddr
	}
	if g.relay == "" {
		g.relay = defaultRelay
	}
	if g.root == "" {
		g.root = defaultRoot
	}
	return g
}

// check validates the global flags' values.
func (g *globals) check() error {
	if strings.HasPrefix(g.addr, "/") {
		g.addr = "unix://" + g.addr // a bare socket path
	}
	if g.timeout < 0 {
		return usageErrorf("--timeout must not be negative")
	}
	if _, err := transport.ParseAddr(g.addr); err != nil {
		return usageErrorf("--addr: %v", err)
	}
	if _, err := transport.ParseRelayListener(g.relay); err != nil {
		return usageErrorf("--relay: %v", err)
	}
	if !filepath.IsAbs(g.root) {
		return usageErrorf("--root %q is not an absolute path", g.root)
	}
	return nil
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
		return a.exitCode(inv, err)
	}
	if inv.help {
		if err := a.help(a.stdout, inv.helpFor); err != nil {
			return a.report(err)
		}
		return exitOK
	}
	if err := a.execute(ctx, inv); err != nil {
		return a.exitCode(inv, err)
	}
	return exitOK
}

// exitCode reports err and returns the code to exit with (see exitFailed).
func (a *app) exitCode(inv *invocation, err error) int {
	a.jsonErrors = inv != nil && inv.g.json
	code := a.report(err)
	var ue *usageError
	if inv != nil && inv.cmd.exitsWithProcess && errors.As(err, &ue) {
		return exitFailed
	}
	return code
}

// parse turns the command line into an invocation. Its errors are usage
// errors except where a command's parser reports otherwise.
func (a *app) parse(args []string) (*invocation, error) {
	inv := &invocation{g: a.defaultGlobals()}
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
	if rest[0] == "help" {
		if len(rest) > 3 || (len(rest) == 3 && !isCommand(rest[1]+" "+rest[2])) {
			return nil, usageErrorf("help takes at most one command name")
		}
		inv.help, inv.helpFor = true, strings.Join(rest[1:], " ")
		return inv, nil
	}
	if subs := groupCommands(rest[0]); len(subs) > 0 && (len(rest) == 1 || isHelpArg(rest[1])) {
		if len(rest) == 1 {
			return nil, usageErrorf("%s wants a subcommand: %s", rest[0], strings.Join(subs, ", "))
		}
		inv.help, inv.helpFor = true, rest[0]
		return inv, nil
	}
	cmd, rest, err := findCommand(rest)
	if err != nil {
		return nil, err
	}
	inv.cmd = cmd
	inv.g.timeoutSet = setFlags(fs)["timeout"]
	inv, err = a.parseCommand(inv, rest)
	return inv, err
}

// parseCommand parses the command line after inv.cmd's name. It returns
// inv, with its command, even with an error.
func (a *app) parseCommand(inv *invocation, rest []string) (*invocation, error) {
	cmd := inv.cmd
	cfs := newFlagSet("gcsctl " + cmd.name)
	inv.g.register(cfs)
	parseArgs := cmd.setup(cfs)
	if err := cfs.Parse(expandShortFlags(cfs, rest)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			inv.help, inv.helpFor = true, cmd.name
			return inv, nil
		}
		return inv, usageErrorf("%s: %v", cmd.name, err)
	}
	inv.g.timeoutSet = inv.g.timeoutSet || setFlags(cfs)["timeout"]
	if err := inv.g.check(); err != nil {
		return inv, err
	}
	act, err := parseArgs(cfs.Args(), a.stdin)
	if err != nil {
		return inv, err
	}
	inv.act = act
	return inv, nil
}

// isHelpArg reports whether arg asks for help.
func isHelpArg(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
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
	s := &session{g: inv.g, stdin: a.stdin, stdout: a.stdout, stderr: a.stderr, connect: a.connect}
	ctx, stop := s.watchSignals(ctx, a.signals)
	defer stop()
	if inv.cmd.offline {
		return inv.act(ctx, s)
	}
	c, err := a.connect(ctx, inv.g)
	if err != nil {
		return err
	}
	defer c.Close()
	s.client = c
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
	ctx, cancel := withTimeout(ctx, g.timeout, "connection")
	defer cancel()
	if !g.listen {
		c, err := client.Dial(ctx, g.addr, a.clientOptions()...)
		if err != nil {
			return nil, fmt.Errorf("%w\n(is gcs running with '-listen -bridge %s'? A gcs that dials its bridge, as in a utility VM, needs gcsctl --listen)", err, g.addr)
		}
		return c, nil
	}
	l, err := client.Listen(g.addr, a.clientOptions()...)
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

// clientOptions are the client's options: a late reply to an earlier,
// interrupted gcsctl's request (the GCS keeps answers across connections)
// is dropped, and named with --debug.
func (a *app) clientOptions() []client.Option {
	debug, _ := strconv.ParseBool(a.getenv(debugEnv))
	return []client.Option{client.WithStrayReplies(func(h prot.MessageHeader) {
		if debug {
			fmt.Fprintf(a.stderr, "gcsctl: debug: ignored a late reply (%s, id %d) to an earlier connection's request\n", h.Type, h.ID)
		}
	})}
}
