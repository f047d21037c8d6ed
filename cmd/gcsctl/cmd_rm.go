package main

import (
	"context"
	"flag"
)

// rmCommand deletes a container's state.
func rmCommand() command {
	return command{
		name:    "rm",
		args:    "ID",
		summary: "delete the state of stopped container ID (DeleteContainerState)",
		detail: `The GCS deletes the runtime's container, the scratch directory and the
bundle ROOT/c/ID. The layers mounted for it are removed with layers remove.`,
		negotiate: true,
		setup: func(*flag.FlagSet) parseFunc {
			return oneID("rm", runRm)
		},
	}
}

// runRm is the rm action.
func runRm(ctx context.Context, s *session, id string) error {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	return s.client.DeleteContainerState(ctx, id)
}
