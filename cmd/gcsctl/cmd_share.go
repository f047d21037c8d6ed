package main

import (
	"flag"
	"io"
	"math"

	"github.com/linux-gcs/gcs/internal/prot"
)

// shareAddCommand mounts a host directory over Plan 9.
func shareAddCommand() command {
	return command{
		name:    "share add",
		args:    "--port P [--share NAME] [--ro] MOUNTPATH",
		summary: "mount a Plan 9 share served on vsock port P at MOUNTPATH (MappedDirectory Add)",
		detail: `The GCS dials port P under its -relay prefix and mounts the 9p file system
served there, with aname NAME when given.`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			port := fs.Uint64("port", 0, "`P`, the port the share is served on (required)")
			share := fs.String("share", "", "share `NAME` (the 9p aname)")
			ro := fs.Bool("ro", false, "mount read-only")
			return func(args []string, _ io.Reader) (action, error) {
				if err := requireFlags("share add", setFlags(fs), "port"); err != nil {
					return nil, err
				}
				if *port == 0 || *port > math.MaxInt32 {
					return nil, usageErrorf("share add: --port %d out of range 1..%d", *port, math.MaxInt32)
				}
				path, err := mountPathArg("share add", args)
				if err != nil {
					return nil, err
				}
				return modifyVM(prot.ResourceTypeMappedDirectory, prot.RequestTypeAdd, &prot.LCOWMappedDirectory{
					MountPath: path, Port: int32(*port), ShareName: *share, ReadOnly: *ro,
				}), nil
			}
		},
	}
}

// shareRemoveCommand unmounts a Plan 9 share.
func shareRemoveCommand() command {
	return command{
		name:      "share remove",
		args:      "MOUNTPATH",
		summary:   "unmount the Plan 9 share at MOUNTPATH (MappedDirectory Remove)",
		negotiate: true,
		setup: func(*flag.FlagSet) parseFunc {
			return func(args []string, _ io.Reader) (action, error) {
				path, err := mountPathArg("share remove", args)
				if err != nil {
					return nil, err
				}
				return modifyVM(prot.ResourceTypeMappedDirectory, prot.RequestTypeRemove,
					&prot.LCOWMappedDirectory{MountPath: path}), nil
			}
		},
	}
}
