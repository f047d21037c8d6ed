package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/linux-gcs/gcs/internal/prot"
)

// modifyVM returns the action that sends one ModificationRequest for the
// utility VM (the null container id), as the device and resource commands
// do.
func modifyVM(rt prot.ResourceType, op prot.RequestType, settings any) action {
	req := &prot.ModificationRequest{ResourceType: rt, RequestType: op, Settings: settings}
	return func(ctx context.Context, s *session) error {
		if err := s.modify(ctx, prot.NullContainerID, req); err != nil {
			return fmt.Errorf("%s %s: %w", op, rt, err)
		}
		return nil
	}
}

// mountPathArg checks the MOUNTPATH argument of cmd, a path in the guest.
func mountPathArg(cmd string, args []string) (string, error) {
	if len(args) != 1 {
		return "", usageErrorf("%s wants MOUNTPATH, got %d arguments", cmd, len(args))
	}
	if !filepath.IsAbs(args[0]) {
		return "", usageErrorf("%s: MOUNTPATH %q is not an absolute path", cmd, args[0])
	}
	return filepath.Clean(args[0]), nil
}

// requireFlags fails unless every flag in names was given.
func requireFlags(cmd string, set map[string]bool, names ...string) error {
	for _, n := range names {
		if !set[n] {
			return usageErrorf("%s: --%s is required", cmd, n)
		}
	}
	return nil
}
