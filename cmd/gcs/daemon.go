package main

import (
	"fmt"
	"os"

	"github.com/linux-gcs/gcs/internal/daemon"
)

// newDaemon builds the daemon: the flags that size the host state are
// copied into its configuration here.
func newDaemon(cfg daemon.Config, o *options) (*daemon.Daemon, error) {
	cfg.Root = o.root
	cfg.Runtime = o.runtime
	cfg.ShutdownAction = o.shutdownAction
	cfg.CgroupParent = o.cgroupParent
	cfg.SysRoot, cfg.DevRoot, cfg.DeviceTimeout = o.sysRoot, o.devRoot, o.deviceTimeout
	cfg.GCSMemoryLimit = int64(min(o.gcsMemLimitBytes, 1<<62))
	cfg.RootMemoryReserve = int64(min(o.rootMemReserveBytes, 1<<62))
	if o.coreDumpLocation != "" {
		if err := os.WriteFile("/proc/sys/kernel/core_pattern", []byte(o.coreDumpLocation), 0o644); err != nil {
			return nil, fmt.Errorf("-core-dump-location: %w", err)
		}
	}
	return daemon.New(cfg)
}
