package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// Container states ls reports.
const (
	stateRunning = "running" // the init is among the container's processes
	stateExited  = "exited"  // the GCS has the container, its init is gone
	stateNone    = "none"    // a bundle the GCS has no container for
)

// lsCommand lists the containers.
func lsCommand() command {
	return command{
		name:    "ls",
		args:    "",
		summary: "list the containers: id, state, init pid, age, command",
		detail: `The bridge protocol has no request that lists containers, so ls reads the
GCS's state directory, --root (gcsctl runs beside the GCS): each bundle
ROOT/c/ID and ROOT/pods/POD/ID holds the config.json the GCS wrote (the
command) and the init.pid the OCI runtime wrote; the age is the bundle's.
It then asks the GCS for each container's processes (GetProperties
ProcessList): running means the init is among them, exited that the GCS
still has the container (rm deletes it), none that the GCS has no container
of that id (a bundle whose layers were mounted but no container created:
layers remove it). A container whose bundle is elsewhere is not listed.
With --json every record is printed with its processes.`,
		negotiate: true,
		setup: func(*flag.FlagSet) parseFunc {
			return noArgs("ls", runLs)
		},
	}
}

// containerStatus is one line of ls: the bundle's record, the state and
// the pids the GCS lists.
type containerStatus struct {
	bundleRecord
	State     string   `json:"state"`
	Processes []uint32 `json:"processes,omitempty"`
}

// runLs is the ls action.
func runLs(ctx context.Context, s *session) error {
	// The GCS makes its -root at start: a --root that does not exist is
	// not the GCS's, and an empty list would hide that.
	if _, err := os.Stat(s.g.root); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--root %s does not exist: it must be the GCS's -root", s.g.root)
	}
	records, err := readBundles(s.g.root)
	if err != nil {
		return err
	}
	list := make([]containerStatus, 0, len(records))
	for _, r := range records {
		st, err := s.status(ctx, r)
		if err != nil {
			return err
		}
		list = append(list, st)
	}
	if s.g.json {
		return s.printJSON(list)
	}
	w := tabwriter.NewWriter(s.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATE\tPID\tAGE\tCOMMAND")
	now := time.Now()
	for _, c := range list {
		pid := "-"
		if c.InitPid != 0 {
			pid = fmt.Sprint(c.InitPid)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.State, pid, age(now.Sub(c.Created)), strings.Join(c.Command, " "))
	}
	return w.Flush()
}

// status asks the GCS about the container of bundle r.
func (s *session) status(ctx context.Context, r bundleRecord) (containerStatus, error) {
	st := containerStatus{bundleRecord: r, State: stateExited}
	pids, err := s.processList(ctx, r.ID)
	var reply *client.Error
	switch {
	case client.HResult(err) == prot.HrVmcomputeSystemNotFound:
		st.State = stateNone
	case errors.As(err, &reply):
		// No processes to list: the init exited and its cgroup went.
	case err != nil:
		return st, fmt.Errorf("processes of %s: %w", r.ID, err)
	default:
		st.Processes = pids
		if r.InitPid != 0 && slices.Contains(pids, r.InitPid) {
			st.State = stateRunning
		}
	}
	return st, nil
}

// processList returns the pids of container id's processes, within
// --timeout.
func (s *session) processList(ctx context.Context, id string) ([]uint32, error) {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	props, err := s.client.GetProperties(ctx, id, prot.PtProcessList)
	if err != nil {
		return nil, err
	}
	pids := make([]uint32, len(props.ProcessList))
	for i, p := range props.ProcessList {
		pids[i] = p.ProcessID
	}
	return pids, nil
}

// age renders a duration as docker does in short: 5s, 3m, 2h, 4d.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
