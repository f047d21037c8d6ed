package main

import (
	"context"
	"flag"
	"io"
	"strings"
)

// A command is one gcsctl subcommand. To add one, write a function
// returning its command (in its own file) and list it in commands.
type command struct {
	// name is what the user types: one word, or two for the commands of a
	// group ("layers add"), which share the first.
	name    string
	args    string // synopsis of the positional arguments, for usage
	summary string // one line, for the command list
	detail  string // extra paragraphs for "gcsctl help NAME", may be empty
	// negotiate makes gcsctl send NegotiateProtocol before the action,
	// unless --no-negotiate is given.
	negotiate bool
	// offline commands need no GCS: gcsctl runs the action without
	// connecting (the session has no client).
	offline bool
	// exitsWithProcess marks the commands that exit with a process's exit
	// code (run, exec, wait): their usage errors exit with exitFailed, so
	// that a process's own 2 is not taken for one (as docker run does).
	exitsWithProcess bool
	// setup registers the command's own flags, if any, on fs and returns
	// the function that checks the positional arguments (after flag
	// parsing) and builds the action. Errors from that function are usage
	// errors unless they say otherwise; it runs before connecting.
	setup func(fs *flag.FlagSet) parseFunc
}

// parseFunc checks a command's positional arguments and returns its action.
// stdin is gcsctl's standard input, for commands that read from it.
type parseFunc func(args []string, stdin io.Reader) (action, error)

// action performs a command over an established session.
type action func(ctx context.Context, s *session) error

// commands returns the command table, in the order usage lists it.
func commands() []command {
	return []command{
		negotiateCommand(),
		stacksCommand(),
		rawCommand(),
		runCommand(),
		execCommand(),
		lsCommand(),
		psCommand(),
		statsCommand(),
		killCommand(),
		stopCommand(),
		waitCommand(),
		rmCommand(),
		podRunCommand(),
		podRmCommand(),
		layersAddCommand(),
		layersRemoveCommand(),
		diskAddCommand(),
		diskRemoveCommand(),
		diskUnplugCommand(),
		pmemAddCommand(),
		pmemRemoveCommand(),
		shareAddCommand(),
		shareRemoveCommand(),
		netAddCommand(),
		netRemoveCommand(),
		modifyCommand(),
		policySimulateCommand(),
		policyFragmentCommand(),
		versionCommand(),
		completionCommand(),
	}
}

// lookupCommand finds a command by name.
func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// isCommand reports whether name is a command.
func isCommand(name string) bool {
	_, ok := lookupCommand(name)
	return ok
}

// groupCommands returns the second words of the commands in group name
// ("add", "remove" for "layers"), or nothing when name is no group.
func groupCommands(name string) []string {
	var subs []string
	for _, c := range commands() {
		if group, sub, ok := strings.Cut(c.name, " "); ok && group == name {
			subs = append(subs, sub)
		}
	}
	return subs
}

// findCommand finds the command args start with, by a two-word name
// first, and returns it with the arguments after its name.
func findCommand(args []string) (command, []string, error) {
	if len(args) >= 2 {
		if c, ok := lookupCommand(args[0] + " " + args[1]); ok {
			return c, args[2:], nil
		}
	}
	if c, ok := lookupCommand(args[0]); ok {
		return c, args[1:], nil
	}
	if subs := groupCommands(args[0]); len(subs) > 0 {
		return command{}, nil, usageErrorf("unknown command %q (%s wants a subcommand: %s)",
			strings.Join(args[:min(2, len(args))], " "), args[0], strings.Join(subs, ", "))
	}
	return command{}, nil, usageErrorf("unknown command %q", args[0])
}

// noArgs is the parseFunc of commands without positional arguments.
func noArgs(name string, act action) parseFunc {
	return func(args []string, _ io.Reader) (action, error) {
		if len(args) > 0 {
			return nil, usageErrorf("%s takes no arguments, got %q", name, args)
		}
		return act, nil
	}
}
