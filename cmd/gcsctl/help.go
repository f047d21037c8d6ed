package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// overview introduces gcsctl in the general help.
const overview = `gcsctl drives a Linux guest compute service (GCS) over the bridge protocol,
playing the part of the host. Every command except raw negotiates the protocol
first, as the host must.`

// exitStatus documents the exit codes.
const exitStatus = `Exit status: 0 on success, 1 on an error (an error reply prints
"error: HRESULT 0x...: message"), 2 on a usage error.`

// help writes the general usage, or the usage of command name, to w.
func (a *app) help(w io.Writer, name string) error {
	if name == "" {
		a.writeOverview(w)
		return nil
	}
	cmd, ok := lookupCommand(name)
	if !ok {
		return usageErrorf("unknown command %q", name)
	}
	fmt.Fprintf(w, "Usage: gcsctl [flags] %s\n\n%s.\n", synopsis(cmd), capitalize(cmd.summary))
	if cmd.detail != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.detail)
	}
	fs := newFlagSet(name)
	cmd.setup(fs) // the command's own flags only
	if hasFlags(fs) {
		fmt.Fprintf(w, "\nFlags of %s:\n", name)
		writeFlags(w, fs)
	}
	fmt.Fprintln(w, "\nRun 'gcsctl help' for the global flags.")
	return nil
}

// writeOverview writes the general usage: synopsis, commands and flags.
func (a *app) writeOverview(w io.Writer) {
	fmt.Fprintf(w, "Usage: gcsctl [flags] COMMAND [ARGS...]\n\n%s\n\nCommands:\n", overview)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", synopsis(c), c.summary)
	}
	fmt.Fprintf(tw, "  help [COMMAND]\tshow this help, or a command's\n")
	_ = tw.Flush()
	fmt.Fprintf(w, "\nFlags (also accepted after COMMAND):\n")
	fs := newFlagSet("gcsctl")
	g := globals{timeout: defaultTimeout}
	g.register(fs)
	writeFlags(w, fs)
	fmt.Fprintf(w, "\n%s\n", exitStatus)
}

// synopsis returns "name args".
func synopsis(c command) string {
	if c.args == "" {
		return c.name
	}
	return c.name + " " + c.args
}

// hasFlags reports whether fs defines any flag.
func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// writeFlags lists the flags of fs, one per entry, "--name ARG  usage".
func writeFlags(w io.Writer, fs *flag.FlagSet) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if arg != "" {
			name += " " + strings.ToUpper(arg)
		}
		lines := strings.Split(usage, "\n")
		fmt.Fprintf(tw, "  %s\t%s\n", name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(tw, "  \t%s\n", l)
		}
	})
	_ = tw.Flush()
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
