package hcsv2

import (
	"context"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
)

func (h *Host) handleResizeConsole(_ context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.ContainerResizeConsole
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	_, p, err := h.containerProcess(req.ContainerID, req.ProcessID)
	if err != nil {
		return nil, err
	}
	if err := p.resize(req.Width, req.Height); err != nil {
		return nil, err
	}
	return &prot.MessageResponseBase{}, nil
}
