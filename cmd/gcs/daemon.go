package main

import (
	"fmt"
	"os"

	"github.com/linux-gcs/gcs/internal/daemon"
	"github.com/linux-gcs/gcs/internal/kmsg"
)

// newDaemon builds the daemon: the flags that size the host state are
// copied into its configuration here.
func newDaemon(cfg daemon.Config, o *options) (*daemon.Daemon, error) {
	cfg.Root = o.root
	cfg.Runtime, cfg.RuntimeTimeout = o.runtime, o.runtimeTimeout
	cfg.ShutdownAction = o.shutdownAction
	cfg.CgroupParent, cfg.CgroupFavorDynMods = o.cgroupParent, o.cgroupFavorDynMods
	cfg.SysRoot, cfg.DevRoot, cfg.DeviceTimeout = o.sysRoot, o.devRoot, o.deviceTimeout
	cfg.GCSMemoryThreshold = int64(min(o.gcsMemLimitBytes, 1<<62))
	cfg.RootMemoryReserve = int64(min(o.rootMemReserveBytes, 1<<62))
	cfg.PodsMemoryInterval = o.podsMemEvery
	cfg.Kmsg, cfg.KmsgLevel = kmsg.DefaultPath, uint8(min(o.kmsgLogLevel, uint(kmsg.Debug)))
	cfg.TimeSync = !o.disableTimeSync
	if o.coreDumpLocation != "" {
		if err := os.WriteFile("/proc/sys/kernel/core_pattern", []byte(o.coreDumpLocation), 0o644); err != nil {
			return nil, fmt.Errorf("-core-dump-location: %w", err)
		}
	}
	return daemon.New(cfg)
}
