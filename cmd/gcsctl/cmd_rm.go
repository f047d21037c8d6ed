package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// rmCommand deletes a container's state.
func rmCommand() command {
	return command{
		name:    "rm",
		args:    "[-f] ID",
		summary: "delete the state of stopped container ID (DeleteContainerState); -f kills it first",
		detail: `The GCS deletes the runtime's container, the scratch directory and the
bundle ROOT/c/ID. The layers mounted for it are removed with layers remove.

With -f, rm first kills the container (ShutdownForced) and waits for its init
to exit (its pid read from the bundle, see ls), then unmounts its layers
and deletes its state as run --rm does (in that order, which a confidential
GCS insists on): whatever state it was in, the container is gone. A container the GCS does not know only has its layers unmounted.`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			force := fs.Bool("f", false, "kill a running container, wait for it, remove it and its layers")
			return oneID("rm", func(ctx context.Context, s *session, id string) error {
				if *force {
					return forceRm(ctx, s, id)
				}
				return runRm(ctx, s, id)
			})
		},
	}
}

// runRm is the rm action.
func runRm(ctx context.Context, s *session, id string) error {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	return s.client.DeleteContainerState(ctx, id)
}

// forceRm is the rm -f action: kill, wait for the init, unmount the
// layers, delete the state. The layers go first: a confidential GCS
// deletes no container whose root file system is still mounted.
func forceRm(ctx context.Context, s *session, id string) error {
	p := pathsFor(s.g.root, id, "")
	found, err := s.killAndWait(ctx, id)
	if err != nil {
		return fmt.Errorf("rm -f %s: %w", id, err)
	}
	if err := s.removeMountedLayers(ctx, id, p); err != nil || !found {
		return err
	}
	return s.deleteContainer(ctx, id)
}

// killAndWait kills container id (ShutdownForced) and waits for its init
// to exit (its pid read from the bundle), so that its layers may be
// unmounted; found is false when the GCS does not know id.
func (s *session) killAndWait(ctx context.Context, id string) (found bool, err error) {
	err = s.shutdown(ctx, id, true)
	switch client.HResult(err) {
	case prot.HrVmcomputeSystemNotFound:
		return false, nil
	case prot.HrOK, prot.HrVmcomputeAlreadyStopped:
	default:
		return true, fmt.Errorf("ShutdownForced: %w", err)
	}
	if pid, err := initPid(s.g.root, id); err == nil {
		if _, err := s.waitProcess(ctx, id, pid, s.requestLimit()); err != nil {
			return true, fmt.Errorf("wait for its init %d: %w", pid, err)
		}
	}
	return true, nil
}

// removeMountedLayers unmounts container id's rootfs if it is mounted,
// which gcsctl sees as the rootfs directory still being there: the GCS
// deletes the bundle with the container, sparing only a mount.
func (s *session) removeMountedLayers(ctx context.Context, id string, p containerPaths) error {
	if _, err := os.Stat(p.rootfs); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := s.removeLayers(ctx, id, p); err != nil {
		return err
	}
	return removeBundleLeft(p)
}

// removeBundleLeft removes the bundle directory of a container that was
// never created once its layers are unmounted: the GCS made the directory
// for the mount and the default scratch but deletes it only with a
// container. A bundle with a config.json is the GCS's, and left to rm.
func removeBundleLeft(p containerPaths) error {
	if _, err := os.Stat(filepath.Join(p.bundle, "config.json")); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(p.rootfs); !errors.Is(err, os.ErrNotExist) {
		return nil // still there: perhaps still mounted
	}
	if err := os.RemoveAll(filepath.Join(p.bundle, "scratch")); err != nil {
		return fmt.Errorf("remove the scratch of a container never created: %w", err)
	}
	if err := os.Remove(p.bundle); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove the bundle directory of a container never created: %w", err)
	}
	return nil
}
