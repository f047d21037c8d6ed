package hcsv2

import (
	"context"
	"encoding/json"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/prot"
)

// decode unmarshals a request body with the invalid-JSON HRESULT on failure.
func decode(r *bridge.Request, v any) error {
	if b, ok := v.(*prot.MessageBase); ok {
		if base, decoded := r.Base(); decoded { // the same decoding, done once
			*b = base
			return nil
		}
	}
	return decodeJSON(r.Body, v, "message")
}

// decodeJSON unmarshals b into v. On failure the error says what failed to
// decode, where and why, but never quotes b: bodies carry environment
// values, and the error goes into the reply and the log.
func decodeJSON(b []byte, v any, what string) error {
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	return prot.Errorf(prot.HrVmcomputeInvalidJSON, "failed to unmarshal JSON in %s (%T): %s", what, v, prot.DescribeJSONError(err))
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
	if err := decodeJSON([]byte(req.Settings.ProcessParameters), &params, "ProcessParameters"); err != nil {
		return nil, err
	}
	relay := req.Settings.VsockStdioRelaySettings
	var pid uint32
	var err error
	if params.IsExternal || req.ContainerID == prot.NullContainerID {
		pid, err = h.enforcedUVMProcess(ctx, &params, relay)
	} else {
		var c *Container
		if c, err = h.container(req.ContainerID); err != nil {
			return nil, err
		}
		if params.OCIProcess == nil {
			pid, err = c.startInit(ctx, &params, relay)
		} else {
			pid, err = c.enforcedExec(ctx, &params, relay)
		}
	}
	if err != nil {
		return nil, err
	}
	return &prot.ContainerExecuteProcessResponse{ProcessID: pid}, nil
}
