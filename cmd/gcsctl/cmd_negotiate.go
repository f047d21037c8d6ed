package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/linux-gcs/gcs/internal/prot"
)

// negotiateCommand negotiates and prints what the GCS announced.
func negotiateCommand() command {
	return command{
		name:    "negotiate",
		summary: "negotiate protocol version 4 and print the GCS's capabilities",
		detail:  "With --json the NegotiateProtocol response is printed as JSON.",
		setup: func(*flag.FlagSet) parseFunc {
			return noArgs("negotiate", runNegotiate)
		},
	}
}

// runNegotiate is the negotiate action. The command table does not
// negotiate first for it: a second NegotiateProtocol would be refused.
func runNegotiate(ctx context.Context, s *session) error {
	resp, err := s.negotiate(ctx)
	if err != nil {
		return err
	}
	if s.g.json {
		return s.printJSON(resp)
	}
	return printNegotiated(s.stdout, resp)
}

// printNegotiated writes what the GCS announced in resp as a table.
func printNegotiated(w io.Writer, resp *prot.NegotiateProtocolResponse) error {
	caps := resp.Capabilities
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "Protocol version:\t%d\n", resp.Version)
	fmt.Fprintf(tw, "Runtime OS type:\t%s\n", caps.RuntimeOsType)
	fmt.Fprintf(tw, "Schema versions:\t%s\n", schemaVersions(caps.SupportedSchemaVersions))
	fmt.Fprintf(tw, "Capabilities:\t\n")
	flags := []struct {
		name string
		on   bool
	}{
		{"SendHostCreateMessage", caps.SendHostCreateMessage},
		{"SendHostStartMessage", caps.SendHostStartMessage},
		{"HvSocketConfigOnStartup", caps.HVSocketConfigOnStartup},
		{"NamespaceAddRequestSupported", caps.GuestDefinedCapabilities.NamespaceAddRequestSupported},
		{"SignalProcessSupported", caps.GuestDefinedCapabilities.SignalProcessSupported},
		{"DumpStacksSupported", caps.GuestDefinedCapabilities.DumpStacksSupported},
		{"DeleteContainerStateSupported", caps.GuestDefinedCapabilities.DeleteContainerStateSupported},
	}
	for _, f := range flags {
		fmt.Fprintf(tw, "  %s:\t%s\n", f.name, yesNo(f.on))
	}
	return tw.Flush()
}

// schemaVersions renders schema versions as "2.1, 2.2" ("none" if empty).
func schemaVersions(vs []prot.SchemaVersion) string {
	if len(vs) == 0 {
		return "none"
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return strings.Join(parts, ", ")
}

// yesNo renders a capability flag.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
