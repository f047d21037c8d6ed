package main

import (
	"github.com/linux-gcs/gcs/internal/daemon"
)

// newDaemon builds the daemon from its configuration. Later the host state
// (containers, storage, network) is created here from the remaining flags.
func newDaemon(cfg daemon.Config, _ *options) (*daemon.Daemon, error) {
	return daemon.New(cfg), nil
}
