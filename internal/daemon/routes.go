package daemon

import (
	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
)

// routes is the whole protocol at a glance: which handler serves which
// message in which negotiated state. Anything not listed gets E_NOTIMPL.
func routes(cfg Config) *bridge.Mux {
	m := bridge.NewMux()
	if !cfg.V4 {
		return m
	}
	m.Handle(prot.ComputeSystemNegotiateProtocolV1, prot.PvInvalid, bridge.Negotiate(prot.LinuxCapabilities()))
	m.Handle(prot.ComputeSystemDumpStacksV1, prot.PvV4, bridge.DumpStacks())
	return m
}
