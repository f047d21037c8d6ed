package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
)

// stacksCommand prints the GCS's goroutine stacks.
func stacksCommand() command {
	return command{
		name:      "stacks",
		summary:   "print the GCS's goroutine stacks (DumpStacks)",
		detail:    `With --json the output is {"GuestStacks": "..."}.`,
		negotiate: true,
		setup: func(*flag.FlagSet) parseFunc {
			return noArgs("stacks", runStacks)
		},
	}
}

// runStacks is the stacks action.
func runStacks(ctx context.Context, s *session) error {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	stacks, err := s.client.DumpStacks(ctx)
	if err != nil {
		return err
	}
	if s.g.json {
		return s.printJSON(struct{ GuestStacks string }{stacks})
	}
	if stacks != "" && !strings.HasSuffix(stacks, "\n") {
		stacks += "\n"
	}
	_, err = fmt.Fprint(s.stdout, stacks)
	return err
}
