package main

import (
	"context"
	"io"
)

// oneID is the parseFunc of commands whose only argument is a container
// id, or a unique prefix of one (see resolveID); act gets the full id.
func oneID(name string, act func(ctx context.Context, s *session, id string) error) parseFunc {
	return func(args []string, _ io.Reader) (action, error) {
		if len(args) != 1 {
			return nil, usageErrorf("%s wants ID, got %d arguments", name, len(args))
		}
		id := args[0]
		if err := checkID(id); err != nil {
			return nil, err
		}
		return withID(id, act), nil
	}
}

// withID returns the action that resolves id, as typed, to a container
// id and calls act with it.
func withID(id string, act func(ctx context.Context, s *session, id string) error) action {
	return func(ctx context.Context, s *session) error {
		full, err := resolveID(s.g.root, id)
		if err != nil {
			return err
		}
		return act(ctx, s, full)
	}
}
