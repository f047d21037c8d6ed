package hcsv2

import (
	"context"
	"fmt"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
)

// decode unmarshals a request body with the invalid-JSON HRESULT on failure.
func decode(r *bridge.Request, v any) error {
	if err := prot.UnmarshalJSON(r.Body, v); err != nil {
		return fmt.Errorf("failed to unmarshal JSON in message %.200q: %w", r.Body, err)
	}
	return nil
}

func (h *Host) handleCreate(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.ContainerCreate
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	cfg, err := decodeContainerConfig(req.ContainerConfig)
	if err != nil {
		return nil, err
	}
	if err := h.CreateContainer(ctx, req.ContainerID, req.ActivityID, cfg); err != nil {
		return nil, err
	}
	return &prot.ContainerCreateResponse{}, nil
}

// handleStart succeeds without looking anything up: on Linux the init is
// started by the first ExecuteProcess, as with the reference.
func (h *Host) handleStart(_ context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.MessageBase
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return &prot.MessageResponseBase{}, nil
}

func (h *Host) handleExecuteProcess(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.ContainerExecuteProcess
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	var params prot.ProcessParameters
	if err := prot.UnmarshalJSON([]byte(req.Settings.ProcessParameters), &params); err != nil {
		return nil, fmt.Errorf("failed to unmarshal JSON for ProcessParameters %.200q: %w", req.Settings.ProcessParameters, err)
	}
	relay := req.Settings.VsockStdioRelaySettings
	var pid uint32
	var err error
	if params.IsExternal || req.ContainerID == prot.NullContainerID {
		pid, err = h.startUVMProcess(ctx, &params, relay)
	} else {
		var c *Container
		if c, err = h.container(req.ContainerID); err != nil {
			return nil, err
		}
		if params.OCIProcess == nil {
			pid, err = c.startInit(ctx, &params, relay)
		} else {
			pid, err = c.execProcess(ctx, &params, relay)
		}
	}
	if err != nil {
		return nil, err
	}
	return &prot.ContainerExecuteProcessResponse{ProcessID: pid}, nil
}
