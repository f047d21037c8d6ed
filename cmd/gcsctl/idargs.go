package main

import (
	"context"
	"io"
)

// oneID is the parseFunc of commands whose only argument is a container
// id; act gets it.
func oneID(name string, act func(ctx context.Context, s *session, id string) error) parseFunc {
	return func(args []string, _ io.Reader) (action, error) {
		if len(args) != 1 {
			return nil, usageErrorf("%s wants ID, got %d arguments", name, len(args))
		}
		id := args[0]
		if err := checkID(id); err != nil {
			return nil, err
		}
		return func(ctx context.Context, s *session) error { return act(ctx, s, id) }, nil
	}
}
