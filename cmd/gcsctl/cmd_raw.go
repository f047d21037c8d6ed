package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// rawCommand sends one request with a verbatim body.
func rawCommand() command {
	return command{
		name:    "raw",
		args:    "TYPE [JSON]",
		summary: "send one request with a verbatim body and print the response",
		detail: `TYPE is a request name, short or full, in any case (DumpStacks,
ComputeSystemDumpStacksV1, NegotiateProtocol, ...), or a number in hex or
decimal (0x10100c01). JSON is the body text, @FILE to read it from a file, or
- to read it from standard input; it is sent as is (default {}).

raw negotiates first unless TYPE is NegotiateProtocol or --no-negotiate is
given. It prints the response header (type, size, id) and the body
pretty-printed; with --json only the body. A non-zero Result in the body is
reported as an error after printing it.`,
		// raw decides itself whether to negotiate, from TYPE.
		setup: func(*flag.FlagSet) parseFunc { return parseRaw },
	}
}

// parseRaw checks raw's arguments and reads its body, before anything is
// sent.
func parseRaw(args []string, stdin io.Reader) (action, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, usageErrorf("raw wants TYPE [JSON], got %d arguments", len(args))
	}
	typ, err := parseMessageType(args[0])
	if err != nil {
		return nil, usageErrorf("raw: %v", err)
	}
	bodyArg := "{}"
	if len(args) == 2 {
		bodyArg = args[1]
	}
	body, err := readBody(bodyArg, stdin)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, s *session) error {
		return runRaw(ctx, s, typ, body)
	}, nil
}

// runRaw is the raw action.
func runRaw(ctx context.Context, s *session, typ prot.MessageIdentifier, body []byte) error {
	if typ != prot.ComputeSystemNegotiateProtocolV1 && !s.g.noNegotiate {
		if _, err := s.negotiate(ctx); err != nil {
			return err
		}
	}
	rctx, cancel := s.requestContext(ctx)
	defer cancel()
	h, resp, err := s.client.Raw(rctx, typ, body)
	if err != nil {
		return err
	}
	if !s.g.json {
		fmt.Fprintf(s.stdout, "Type: %s\nSize: %d\nID:   %d\n\n", messageTypeName(h.Type), h.Size, h.ID)
	}
	if _, err := s.stdout.Write(pretty(resp)); err != nil {
		return err
	}
	var base prot.MessageResponseBase
	if json.Unmarshal(resp, &base) == nil && base.Result != 0 {
		return &client.Error{Type: typ, HResult: prot.HResult(base.Result), Message: base.ErrorMessage, Records: base.ErrorRecords}
	}
	return nil
}

// readBody returns the request body named by arg: "-" reads stdin, "@FILE"
// reads FILE, anything else is the body itself.
func readBody(arg string, stdin io.Reader) ([]byte, error) {
	switch {
	case arg == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read body from standard input: %w", err)
		}
		return b, nil
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
		return b, nil
	}
	return []byte(arg), nil
}

// pretty indents a JSON body for display, or returns it as is when it is
// not JSON; the result ends with a newline.
func pretty(body []byte) []byte {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(body), "", "  "); err != nil {
		buf.Reset()
		buf.Write(body)
	}
	if buf.Len() == 0 || buf.Bytes()[buf.Len()-1] != '\n' {
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}
