package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/linux-gcs/gcs/internal/prot"
)

// psCommand lists a container's processes.
func psCommand() command {
	return command{
		name:      "ps",
		args:      "ID",
		summary:   "list the pids of container ID's processes (GetProperties ProcessList)",
		detail:    "The pids are those of the GCS's pid namespace, one per line. With --json the\nPropertiesV2 document is printed.",
		negotiate: true,
		setup: func(*flag.FlagSet) parseFunc {
			return oneID("ps", runPs)
		},
	}
}

// runPs is the ps action.
func runPs(ctx context.Context, s *session, id string) error {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	props, err := s.client.GetProperties(ctx, id, prot.PtProcessList)
	if err != nil {
		return err
	}
	if s.g.json {
		return s.printJSON(props)
	}
	var b strings.Builder
	for _, p := range props.ProcessList {
		fmt.Fprintf(&b, "%d\n", p.ProcessID)
	}
	_, err = fmt.Fprint(s.stdout, b.String())
	return err
}
