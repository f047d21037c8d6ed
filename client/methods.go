package client

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Negotiate negotiates protocol version 4, as the real host does, and
// returns the GCS's answer. It must be the first request on a connection;
// the GCS refuses every other request until it has succeeded.
func (c *Client) Negotiate(ctx context.Context) (*prot.NegotiateProtocolResponse, error) {
	req := &prot.NegotiateProtocol{
		MessageBase:    newBase(""),
		MinimumVersion: uint32(prot.PvV4),
		MaximumVersion: uint32(prot.PvV4),
	}
	resp := new(prot.NegotiateProtocolResponse)
	if err := c.Call(ctx, prot.ComputeSystemNegotiateProtocolV1, req, resp); err != nil {
		return nil, err
	}
	if resp.Version != uint32(prot.PvV4) {
		return resp, fmt.Errorf("gcs: %s: GCS selected protocol version %d, want %d",
			prot.ComputeSystemNegotiateProtocolV1, resp.Version, prot.PvV4)
	}
	return resp, nil
}

// DumpStacks returns the text dump of the GCS's goroutine stacks.
func (c *Client) DumpStacks(ctx context.Context) (string, error) {
	resp := new(prot.DumpStacksResponse)
	err := c.Call(ctx, prot.ComputeSystemDumpStacksV1, newBase(prot.NullContainerID), resp)
	if err != nil {
		return "", err
	}
	return resp.GuestStacks, nil
}

// CreateContainer creates container id from cfg, which is sent as a JSON
// document inside the ContainerConfig string.
func (c *Client) CreateContainer(ctx context.Context, id string, cfg *prot.VMHostedContainerSettingsV2) error {
	inner, err := encodeInner(cfg)
	if err != nil {
		return fmt.Errorf("gcs: %s: encode ContainerConfig: %w", prot.ComputeSystemCreateV1, err)
	}
	req := &prot.ContainerCreate{MessageBase: newBase(id), ContainerConfig: inner}
	return c.Call(ctx, prot.ComputeSystemCreateV1, req, new(prot.ContainerCreateResponse))
}

// Start sends Start for container id. On Linux it does nothing: the init
// process is started by the first ExecuteProcess without an OCIProcess.
func (c *Client) Start(ctx context.Context, id string) error {
	return c.Call(ctx, prot.ComputeSystemStartV1, newBase(id), nil)
}

// ShutdownGraceful sends SIGTERM to every process of container id. With
// prot.NullContainerID it powers the utility VM off and gets no response.
func (c *Client) ShutdownGraceful(ctx context.Context, id string) error {
	return c.Call(ctx, prot.ComputeSystemShutdownGracefulV1, newBase(id), nil)
}

// ShutdownForced sends SIGKILL to every process of container id. With
// prot.NullContainerID it powers the utility VM off and gets no response.
func (c *Client) ShutdownForced(ctx context.Context, id string) error {
	return c.Call(ctx, prot.ComputeSystemShutdownForcedV1, newBase(id), nil)
}

// ExecuteProcess starts a process described by params in container id (or
// in the utility VM for prot.NullContainerID) and returns its pid. params
// is sent as a JSON document inside the ProcessParameters string; stdio
// names the relay ports the GCS dials for each requested stream.
func (c *Client) ExecuteProcess(ctx context.Context, id string, params *prot.ProcessParameters, stdio prot.ExecuteProcessVsockStdioRelaySettings) (uint32, error) {
	inner, err := encodeInner(params)
	if err != nil {
		return 0, fmt.Errorf("gcs: %s: encode ProcessParameters: %w", prot.ComputeSystemExecuteProcessV1, err)
	}
	req := &prot.ContainerExecuteProcess{
		MessageBase: newBase(id),
		Settings: prot.ExecuteProcessSettings{
			ProcessParameters:       inner,
			VsockStdioRelaySettings: stdio,
		},
	}
	resp := new(prot.ContainerExecuteProcessResponse)
	if err := c.Call(ctx, prot.ComputeSystemExecuteProcessV1, req, resp); err != nil {
		return 0, err
	}
	return resp.ProcessID, nil
}

// WaitForProcess waits until process pid of container id has exited and its
// output has been relayed, and returns its exit code. A negative timeout
// waits forever; otherwise the GCS gives up after timeout (rounded up to a
// millisecond) with prot.HrVmcomputeTimeout. ctx still bounds the call.
func (c *Client) WaitForProcess(ctx context.Context, id string, pid uint32, timeout time.Duration) (uint32, error) {
	req := &prot.ContainerWaitForProcess{
		MessageBase: newBase(id),
		ProcessID:   pid,
		TimeoutInMs: waitTimeoutMs(timeout),
	}
	resp := new(prot.ContainerWaitForProcessResponse)
	if err := c.Call(ctx, prot.ComputeSystemWaitForProcessV1, req, resp); err != nil {
		return 0, err
	}
	return resp.ExitCode, nil
}

// waitTimeoutMs converts a WaitForProcess timeout to TimeoutInMs.
func waitTimeoutMs(timeout time.Duration) uint32 {
	if timeout < 0 {
		return prot.InfiniteWaitTimeout
	}
	ms := (timeout + time.Millisecond - 1) / time.Millisecond
	if ms >= prot.InfiniteWaitTimeout {
		return prot.InfiniteWaitTimeout - 1 // the longest finite wait
	}
	return uint32(ms)
}

// SignalProcess sends signal to process pid of container id. The GCS treats
// signal 0 as SIGKILL.
func (c *Client) SignalProcess(ctx context.Context, id string, pid uint32, signal int32) error {
	req := &prot.ContainerSignalProcess{
		MessageBase: newBase(id),
		ProcessID:   pid,
		Options:     prot.SignalProcessOptions{Signal: signal},
	}
	return c.Call(ctx, prot.ComputeSystemSignalProcessV1, req, nil)
}

// ResizeConsole sets the terminal size of process pid of container id.
func (c *Client) ResizeConsole(ctx context.Context, id string, pid uint32, height, width uint16) error {
	req := &prot.ContainerResizeConsole{
		MessageBase: newBase(id),
		ProcessID:   pid,
		Height:      height,
		Width:       width,
	}
	return c.Call(ctx, prot.ComputeSystemResizeConsoleV1, req, nil)
}

// GetProperties queries properties of container id. The query is sent as a
// JSON document inside the Query string and the answer decoded from the
// Properties string. The Linux GCS answers only prot.PtProcessList and
// prot.PtStatistics and ignores other types.
func (c *Client) GetProperties(ctx context.Context, id string, types ...prot.PropertyType) (*prot.PropertiesV2, error) {
	query, err := encodeInner(&prot.PropertyQuery{PropertyTypes: types})
	if err != nil {
		return nil, fmt.Errorf("gcs: %s: encode Query: %w", prot.ComputeSystemGetPropertiesV1, err)
	}
	req := &prot.ContainerGetProperties{MessageBase: newBase(id), Query: query}
	resp := new(prot.ContainerGetPropertiesResponse)
	if err := c.Call(ctx, prot.ComputeSystemGetPropertiesV1, req, resp); err != nil {
		return nil, err
	}
	props := new(prot.PropertiesV2)
	if resp.Properties == "" {
		return props, nil
	}
	if err := json.Unmarshal([]byte(resp.Properties), props); err != nil {
		return nil, fmt.Errorf("gcs: %s: decode Properties: %w", prot.ComputeSystemGetPropertiesV1, err)
	}
	return props, nil
}

// ModifySettings applies req to container id, or to the utility VM for
// prot.NullContainerID. req is sent as a nested JSON object.
func (c *Client) ModifySettings(ctx context.Context, id string, req *prot.ModificationRequest) error {
	body := &prot.ContainerModifySettings{MessageBase: newBase(id), Request: req}
	return c.Call(ctx, prot.ComputeSystemModifySettingsV1, body, nil)
}

// DeleteContainerState removes container id's state, bundle and scratch
// from the guest. The GCS forgets the id even when that partly fails.
func (c *Client) DeleteContainerState(ctx context.Context, id string) error {
	return c.Call(ctx, prot.ComputeSystemDeleteContainerStateV1, newBase(id), nil)
}
