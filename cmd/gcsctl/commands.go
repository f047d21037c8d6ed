package main

import (
	"context"
	"flag"
	"io"
)

// A command is one gcsctl subcommand. To add one, write a function
// returning its command (in its own file) and list it in commands.
type command struct {
	name    string // what the user types
	args    string // synopsis of the positional arguments, for usage
	summary string // one line, for the command list
	detail  string // extra paragraphs for "gcsctl help NAME", may be empty
	// negotiate makes gcsctl send NegotiateProtocol before the action,
	// unless --no-negotiate is given.
	negotiate bool
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

// noArgs is the parseFunc of commands without positional arguments.
func noArgs(name string, act action) parseFunc {
	return func(args []string, _ io.Reader) (action, error) {
		if len(args) > 0 {
			return nil, usageErrorf("%s takes no arguments, got %q", name, args)
		}
		return act, nil
	}
}
