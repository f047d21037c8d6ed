package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
)

// overview introduces gcsctl in the general help.
const overview = `gcsctl drives a Linux guest compute service (GCS) over the bridge protocol,
playing the part of the host. Every command except raw negotiates the protocol
first, as the host must.

Containers are built as hcsshim's host builds them: the layers are mounted with
ModifySettings CombinedLayers at ROOT/c/ID/rootfs (scratch ROOT/c/ID/scratch),
the bundle is ROOT/c/ID, and a process's stdio reaches gcsctl through relay
ports gcsctl listens on (--relay), which the GCS dials. gcsctl runs beside the
GCS and reads ROOT itself where the protocol has no request (ls, ps, wait ID).

On a development machine, as root, from the source tree:
  gcs -v4 -listen -bridge unix:///tmp/gcs/bridge.sock \
      -relay unix:///tmp/gcs/relay -root /tmp/gcs/root \
      -cgroup-parent /gcs-dev -cgroup-favordynmods=false \
      -shutdown-action exit 2>gcs.log &
  export GCSCTL_ADDR=/tmp/gcs/bridge.sock GCSCTL_ROOT=/tmp/gcs/root \
      GCSCTL_RELAY=unix:///tmp/gcs/relay
  img=/tmp/gcs/root/images/busybox; scripts/busybox-rootfs.sh $img
  gcsctl run $img sh -c 'echo hi; exit 3'      # hi, exit 3
  gcsctl run -d --name web $img sleep 1000     # web PID
  gcsctl ls; gcsctl ps web
  gcsctl exec -it web sh                       # ctrl-p ctrl-q detaches
  gcsctl rm -f web
In the VM (make vm-shell) the profile sets GCSCTL_*, the GCS dials in
(GCSCTL_LISTEN=1) and the image is /run/layers/busybox:
  gcsctl run -it /run/layers/busybox sh`

// exitStatusHelp documents the exit codes.
const exitStatusHelp = `Exit status, as with docker and podman:
  0    success
  2    a usage error: a mistake on the command line (an ambiguous id prefix
       too); 125 for run, exec and wait, as with docker run
  125  gcsctl or the GCS failed: no connection, no answer within --timeout,
       an error reply ("error: HRESULT 0x...: message"), an interrupt
  126  run, exec: CMD cannot be run (not executable)
  127  run, exec: CMD is not found
run, exec and wait otherwise exit with the process's own exit code (255 for
codes above 255); a process killed by a signal exits with 128+N (130 for
SIGINT, 137 for SIGKILL). A process may exit with 125 itself: with
--json, gcsctl's own errors are a JSON object on stderr ("usage": true for
a usage error).`

// Layout of the command list in the overview: each command's synopsis,
// wrapped, then its summary below it.
const (
	overviewWidth    = 80
	synopsisIndent   = 2
	continuingIndent = 4 // lines after the first of a wrapped synopsis
	summaryIndent    = 8
)

// help writes the general usage, the usage of command name, or that of
// every command of group name, to w.
func (a *app) help(w io.Writer, name string) error {
	if name == "" {
		a.writeOverview(w)
		return nil
	}
	if cmd, ok := lookupCommand(name); ok {
		writeCommandHelp(w, cmd)
		return nil
	}
	subs := groupCommands(name)
	if len(subs) == 0 {
		return usageErrorf("unknown command %q", name)
	}
	for i, sub := range subs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		cmd, _ := lookupCommand(name + " " + sub)
		writeCommandHelp(w, cmd)
	}
	return nil
}

// writeCommandHelp writes the usage of one command.
func writeCommandHelp(w io.Writer, cmd command) {
	usage := wrapWords("Usage: gcsctl [flags] "+synopsis(cmd), overviewWidth, continuingIndent)
	fmt.Fprintf(w, "%s\n\n%s.\n", strings.Join(usage, "\n"), capitalize(cmd.summary))
	if cmd.detail != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.detail)
	}
	fs := newFlagSet(cmd.name)
	cmd.setup(fs) // the command's own flags only
	if hasFlags(fs) {
		fmt.Fprintf(w, "\nFlags of %s:\n", cmd.name)
		writeFlags(w, fs)
	}
	fmt.Fprintln(w, "\nRun 'gcsctl help' for the global flags.")
}

// writeOverview writes the general usage: synopsis, commands and flags.
func (a *app) writeOverview(w io.Writer) {
	fmt.Fprintf(w, "Usage: gcsctl [flags] COMMAND [ARGS...]\n\n%s\n\nCommands:\n", overview)
	type entry struct{ synopsis, summary string }
	var entries []entry
	for _, c := range commands() {
		entries = append(entries, entry{synopsis(c), c.summary})
	}
	entries = append(entries, entry{"help [COMMAND]", "show this help, or a command's"})
	for _, e := range entries {
		for _, line := range wrapWords(e.synopsis, overviewWidth-synopsisIndent, continuingIndent-synopsisIndent) {
			fmt.Fprintf(w, "%*s%s\n", synopsisIndent, "", line)
		}
		for _, line := range wrapWords(e.summary, overviewWidth-summaryIndent, 0) {
			fmt.Fprintf(w, "%*s%s\n", summaryIndent, "", line)
		}
	}
	fmt.Fprintf(w, "\nFlags (also accepted after COMMAND):\n")
	fs := newFlagSet("gcsctl")
	g := globals{timeout: defaultTimeout}
	g.register(fs)
	writeFlags(w, fs)
	fmt.Fprintf(w, "\n%s\n", exitStatusHelp)
}

// wrapWords splits s at spaces into lines of at most width columns, the
// lines after the first indented by indent spaces. A word longer than a
// line gets a line of its own.
func wrapWords(s string, width, indent int) []string {
	var lines []string
	line, empty := "", true
	for _, word := range strings.Fields(s) {
		if !empty && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line, empty = strings.Repeat(" ", indent), true
		}
		if !empty {
			line += " "
		}
		line, empty = line+word, false
	}
	return append(lines, line)
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

// writeFlags lists the flags of fs, one per entry, "--name ARG  usage";
// flags that set the same variable (-e and --env) share an entry.
func writeFlags(w io.Writer, fs *flag.FlagSet) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, e := range flagEntries(fs) {
		arg, usage := flag.UnquoteUsage(e.flag)
		names := make([]string, len(e.names))
		for i, n := range e.names {
			names[i] = "--" + n
			if len(n) == 1 {
				names[i] = "-" + n
			}
		}
		name := strings.Join(names, ", ")
		if arg != "" {
			name += " " + strings.ToUpper(arg)
		}
		lines := strings.Split(usage, "\n")
		fmt.Fprintf(tw, "  %s\t%s\n", name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(tw, "  \t%s\n", l)
		}
	}
	_ = tw.Flush()
}

// flagEntry is one entry of a flag list: the names of the flags that set
// one variable, the short ones first, and the flag whose usage is shown.
type flagEntry struct {
	names []string
	flag  *flag.Flag
}

// flagEntries groups the flags of fs by the variable they set.
func flagEntries(fs *flag.FlagSet) []*flagEntry {
	var entries []*flagEntry
	fs.VisitAll(func(f *flag.Flag) {
		for _, e := range entries {
			if sameVariable(e.flag.Value, f.Value) {
				if len(f.Name) == 1 {
					e.names = append([]string{f.Name}, e.names...)
				} else {
					e.names = append(e.names, f.Name)
				}
				return
			}
		}
		entries = append(entries, &flagEntry{names: []string{f.Name}, flag: f})
	})
	return entries
}

// sameVariable reports whether two flag values are one variable: the flag
// package's values are pointers to it.
func sameVariable(a, b flag.Value) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Kind() == reflect.Pointer && reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer()
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
