package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// session is what a command's action works with: a connected client, the
// global flags and the output streams.
type session struct {
	client         *client.Client
	g              globals
	stdout, stderr io.Writer
}

// requestContext bounds one request by --timeout.
func (s *session) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return withTimeout(ctx, s.g.timeout)
}

// negotiate sends NegotiateProtocol within --timeout.
func (s *session) negotiate(ctx context.Context) (*prot.NegotiateProtocolResponse, error) {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	resp, err := s.client.Negotiate(ctx)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// printJSON writes v to stdout as indented JSON.
func (s *session) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	_, err = fmt.Fprintf(s.stdout, "%s\n", b)
	return err
}
