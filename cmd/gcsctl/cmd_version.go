package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/version"
)

// versionCommand prints gcsctl's build and what the GCS negotiates.
func versionCommand() command {
	return command{
		name:    "version",
		args:    "[--client]",
		summary: "print gcsctl's build, then the protocol version and capabilities the GCS negotiates",
		detail: `gcsctl's build is the module version and commit the Go toolchain recorded.
The GCS has no version request: what it tells of itself is its answer to
NegotiateProtocol (gcs -version prints its build). With --client, or when the
GCS cannot be reached (exit 125), only gcsctl's part is printed. With --json one
object: {"client":{...},"server":NegotiateProtocolResponse}.`,
		// Offline so that gcsctl's part is printed even when the GCS is
		// not there; the action connects itself.
		offline: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			clientOnly := fs.Bool("client", false, "print only gcsctl's build, without connecting")
			return noArgs("version", func(ctx context.Context, s *session) error {
				return runVersion(ctx, s, *clientOnly)
			})
		},
	}
}

// versionJSON is what version --json prints.
type versionJSON struct {
	Client version.Info                    `json:"client"`
	Server *prot.NegotiateProtocolResponse `json:"server,omitempty"`
}

// runVersion is the version action.
func runVersion(ctx context.Context, s *session, clientOnly bool) error {
	out := versionJSON{Client: version.Get()}
	var err error
	if !clientOnly {
		out.Server, err = s.negotiateOnce(ctx)
	}
	if s.g.json {
		if perr := s.printJSON(out); perr != nil {
			return perr
		}
		return err
	}
	fmt.Fprintf(s.stdout, "Client: gcsctl %s\n", out.Client)
	if out.Server == nil {
		return err
	}
	fmt.Fprintf(s.stdout, "Server: the GCS at %s\n", s.g.addr)
	return printNegotiated(s.stdout, out.Server)
}

// negotiateOnce connects to the GCS, negotiates and disconnects.
func (s *session) negotiateOnce(ctx context.Context) (*prot.NegotiateProtocolResponse, error) {
	c, err := s.connect(ctx, s.g)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	s.client = c
	defer func() { s.client = nil }()
	return s.negotiate(ctx)
}
