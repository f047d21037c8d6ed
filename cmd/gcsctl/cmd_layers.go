package main

import (
	"context"
	"flag"
	"io"
)

// layersAddCommand mounts a container's root file system.
func layersAddCommand() command {
	return command{
		name:    "layers add",
		args:    "--id ID [--scratch DIR] LAYER...",
		summary: "mount LAYERs (top first) as container ID's rootfs, ROOT/c/ID/rootfs",
		detail: `layers add sends ModifySettings CombinedLayers Add: an overlay of the LAYER
directories, the first on top, with the scratch directory (default
ROOT/c/ID/scratch) for writes. Paths are the GCS's; relative ones are taken
from the current directory.`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			id := fs.String("id", "", "container `ID` whose rootfs to mount (required)")
			scratch := fs.String("scratch", "", "scratch `DIR` for writes (default ROOT/c/ID/scratch)")
			return func(args []string, _ io.Reader) (action, error) {
				if err := requireFlags("layers add", setFlags(fs), "id"); err != nil {
					return nil, err
				}
				if err := checkID(*id); err != nil {
					return nil, err
				}
				if len(args) == 0 {
					return nil, usageErrorf("layers add wants at least one LAYER")
				}
				layers, err := absPaths(args)
				if err != nil {
					return nil, err
				}
				scratchDir := *scratch
				if scratchDir != "" {
					if scratchDir, err = absPath(scratchDir); err != nil {
						return nil, err
					}
				}
				return func(ctx context.Context, s *session) error {
					return s.addLayers(ctx, *id, pathsFor(s.g.root, *id, scratchDir), layers)
				}, nil
			}
		},
	}
}

// layersRemoveCommand unmounts a container's root file system.
func layersRemoveCommand() command {
	return command{
		name:    "layers remove",
		args:    "--id ID",
		summary: "unmount container ID's rootfs (CombinedLayers Remove)",
		detail: `When no container ID was created (its bundle ROOT/c/ID has no config.json),
gcsctl then removes the bundle directory and its default scratch ROOT/c/ID/scratch,
which the GCS made for the mount but deletes only with a container.`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			id := fs.String("id", "", "container `ID` whose rootfs to unmount (required)")
			return func(args []string, _ io.Reader) (action, error) {
				if err := requireFlags("layers remove", setFlags(fs), "id"); err != nil {
					return nil, err
				}
				if err := checkID(*id); err != nil {
					return nil, err
				}
				if len(args) != 0 {
					return nil, usageErrorf("layers remove takes no arguments, got %q", args)
				}
				return func(ctx context.Context, s *session) error {
					p := pathsFor(s.g.root, *id, "")
					if err := s.removeLayers(ctx, *id, p); err != nil {
						return err
					}
					return removeBundleLeft(p)
				}, nil
			}
		},
	}
}
