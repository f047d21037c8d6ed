package bridge

import (
	"context"
	"fmt"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Negotiate returns the NegotiateProtocol handler: it accepts a host whose
// version range includes 4 and answers with caps. Register it at
// prot.PvInvalid only, so that a second negotiation gets E_NOTIMPL. A
// successful reply moves the connection to the version it names.
func Negotiate(caps prot.GcsCapabilities) Handler {
	return Func(func(_ context.Context, r *Request) (prot.Response, error) {
		var req prot.NegotiateProtocol
		if err := prot.UnmarshalJSON(r.Body, &req); err != nil {
			return nil, fmt.Errorf("decode NegotiateProtocol: %w", err)
		}
		if req.MaximumVersion < uint32(prot.PvV4) || req.MinimumVersion > uint32(prot.PvMax) {
			return nil, prot.NewError(prot.HrVmcomputeUnsupportedProt)
		}
		return &prot.NegotiateProtocolResponse{
			Version:      uint32(min(prot.PvMax, prot.ProtocolVersion(req.MaximumVersion))),
			Capabilities: caps,
		}, nil
	})
}
