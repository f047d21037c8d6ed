package daemon

import (
	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/hcsv2"
	"github.com/linux-gcs/gcs/internal/prot"
)

// routes is the whole protocol at a glance: negotiation and stack dumps
// belong to the bridge, every container and utility-VM message to the host
// state (hcsv2.Host.Register lists them). Anything else gets E_NOTIMPL, and
// so does everything when the daemon was started without -v4.
func routes(cfg Config, host *hcsv2.Host) *bridge.Mux {
	m := bridge.NewMux()
	if !cfg.V4 {
		return m
	}
	m.Handle(prot.ComputeSystemNegotiateProtocolV1, prot.PvInvalid, bridge.Negotiate(prot.LinuxCapabilities()))
	if host != nil {
		m.Handle(prot.ComputeSystemDumpStacksV1, prot.PvV4, host.GuardDumpStacks(bridge.DumpStacks()))
		host.Register(m)
	} else {
		m.Handle(prot.ComputeSystemDumpStacksV1, prot.PvV4, bridge.DumpStacks())
	}
	return m
}
