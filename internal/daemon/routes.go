package daemon

import (
	"context"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/hcsv2"
	"github.com/linux-gcs/gcs/internal/prot"
)

// routes is the whole protocol at a glance: negotiation and stack dumps
// belong to the bridge, every container and utility-VM message to the host
// state (hcsv2.Host.Register lists them). Anything else gets E_NOTIMPL, and
// so does everything when the daemon was started without -v4. negotiated
// is called after each Negotiate reply has been handed to the writer.
func routes(cfg Config, host *hcsv2.Host, negotiated func()) *bridge.Mux {
	m := bridge.NewMux()
	if !cfg.V4 {
		return m
	}
	negotiate := bridge.Negotiate(prot.LinuxCapabilities())
	m.Handle(prot.ComputeSystemNegotiateProtocolV1, prot.PvInvalid, bridge.HandlerFunc(func(ctx context.Context, w bridge.ResponseWriter, r *bridge.Request) {
		negotiate.ServeMsg(ctx, w, r)
		negotiated()
	}))
	if host != nil {
		m.Handle(prot.ComputeSystemDumpStacksV1, prot.PvV4, host.GuardDumpStacks(bridge.DumpStacks()))
		host.Register(m)
	} else {
		m.Handle(prot.ComputeSystemDumpStacksV1, prot.PvV4, bridge.DumpStacks())
	}
	return m
}
