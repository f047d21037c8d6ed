package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/linux-gcs/gcs/internal/prot"
)

// psCommand lists a container's processes.
func psCommand() command {
	return command{
		name:    "ps",
		args:    "[-q] ID",
		summary: "list container ID's processes, the init marked (GetProperties ProcessList)",
		detail: `ps prints PID, ROLE (init, or - for the others) and COMMAND for each process the GCS lists.
The pids are those of the GCS's pid namespace. The init's pid is read from
the bundle (ROOT/c/ID/init.pid, see ls) and the commands from /proc, as
gcsctl runs beside the GCS. With -q only the pids are printed, one per line.
With --json the PropertiesV2 document is printed, with InitPid added.`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			quiet := fs.Bool("q", false, "print only the pids")
			return oneID("ps", func(ctx context.Context, s *session, id string) error {
				return runPs(ctx, s, id, *quiet)
			})
		},
	}
}

// psJSON is what ps --json prints: the GCS's document and the init's pid.
type psJSON struct {
	*prot.PropertiesV2
	InitPid uint32 `json:"InitPid,omitempty"`
}

// runPs is the ps action.
func runPs(ctx context.Context, s *session, id string, quiet bool) error {
	rctx, cancel := s.requestContext(ctx)
	defer cancel()
	props, err := s.client.GetProperties(rctx, id, prot.PtProcessList)
	if err != nil {
		return err
	}
	var initPid uint32
	if r, err := findBundle(s.g.root, id); err == nil {
		initPid = r.InitPid
	}
	if s.g.json {
		return s.printJSON(psJSON{props, initPid})
	}
	if quiet {
		var b strings.Builder
		for _, p := range props.ProcessList {
			fmt.Fprintf(&b, "%d\n", p.ProcessID)
		}
		_, err = fmt.Fprint(s.stdout, b.String())
		return err
	}
	w := tabwriter.NewWriter(s.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PID\tROLE\tCOMMAND")
	for _, p := range props.ProcessList {
		role := "-"
		if p.ProcessID == initPid {
			role = "init"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\n", p.ProcessID, role, procCommand(p.ProcessID))
	}
	return w.Flush()
}

// procCommand returns process pid's command line from /proc, or "?" if it
// cannot be read (the process is gone, or gcsctl is not beside the GCS).
func procCommand(pid uint32) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return "?"
	}
	return strings.Join(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), " ")
}
