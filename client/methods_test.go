package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// guidRE matches the ActivityId form the host uses.
var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// htmlText appears in requests to check that HTML is not escaped.
const htmlText = "a<b && c>d"

// decodeInner decodes a JSON document carried in a JSON string.
func decodeInner(t *testing.T, field string, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%s %q is not a JSON document: %v", field, s, err)
	}
}

// keys returns the sorted top-level keys of a JSON object.
func keys(t *testing.T, body []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestRequestsOnTheWire(t *testing.T) {
	cfg := &prot.VMHostedContainerSettingsV2{
		SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1},
		OCIBundlePath: "/run/gcs/c/c1",
		OCISpecification: &oci.Spec{
			Version: "1.1.0",
			Process: &oci.Process{Args: []string{"sh", "-c", htmlText}, Cwd: "/"},
			Root:    &oci.Root{Path: "/run/gcs/c/c1/rootfs"},
			Linux:   &oci.Linux{},
		},
		ScratchDirPath: "/run/gcs/c/c1/scratch/c1",
	}
	params := &prot.ProcessParameters{
		CommandArgs:      []string{"/bin/sh", "-c", htmlText},
		Environment:      map[string]string{"PATH": "/bin"},
		CreateStdOutPipe: true,
		IsExternal:       true,
	}
	stdio := prot.ExecuteProcessVsockStdioRelaySettings{StdOut: 0x40000001}
	modify := &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeMappedDirectory,
		RequestType:  prot.RequestTypeAdd,
		Settings:     &prot.LCOWMappedDirectory{MountPath: "/mnt", Port: 564, ShareName: htmlText},
	}
	baseKeys := []string{"ActivityId", "ContainerId"}

	tests := []struct {
		name      string
		typ       prot.MessageIdentifier
		container string
		call      func(context.Context, *client.Client) (any, error)
		check     func(t *testing.T, body []byte) // the request as sent
		reply     any
		want      any // the method's result
	}{
		{name: "Negotiate", typ: prot.ComputeSystemNegotiateProtocolV1, container: "",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				r, err := c.Negotiate(ctx)
				if err != nil {
					return nil, err
				}
				return r.Capabilities.RuntimeOsType, nil
			},
			check: func(t *testing.T, body []byte) {
				var req prot.NegotiateProtocol
				_ = json.Unmarshal(body, &req)
				if req.MinimumVersion != 4 || req.MaximumVersion != 4 {
					t.Errorf("versions %d..%d, want 4..4", req.MinimumVersion, req.MaximumVersion)
				}
			},
			reply: &prot.NegotiateProtocolResponse{Version: 4, Capabilities: prot.LinuxCapabilities()},
			want:  prot.OsTypeLinux},
		{name: "DumpStacks", typ: prot.ComputeSystemDumpStacksV1, container: prot.NullContainerID,
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.DumpStacks(ctx) },
			check: func(t *testing.T, body []byte) {
				if got := keys(t, body); !slices.Equal(got, baseKeys) {
					t.Errorf("keys %v, want %v", got, baseKeys)
				}
			},
			reply: &prot.DumpStacksResponse{GuestStacks: "goroutine 1 [running]:\n"},
			want:  "goroutine 1 [running]:\n"},
		{name: "CreateContainer", typ: prot.ComputeSystemCreateV1, container: "c1",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return nil, c.CreateContainer(ctx, "c1", cfg)
			},
			check: func(t *testing.T, body []byte) {
				var req prot.ContainerCreate
				_ = json.Unmarshal(body, &req)
				var got prot.VMHostedContainerSettingsV2
				decodeInner(t, "ContainerConfig", req.ContainerConfig, &got)
				if !reflect.DeepEqual(&got, cfg) {
					t.Errorf("ContainerConfig = %+v, want %+v", got, cfg)
				}
			},
			reply: &prot.ContainerCreateResponse{}},
		{name: "Start", typ: prot.ComputeSystemStartV1, container: "c1",
			call:  func(ctx context.Context, c *client.Client) (any, error) { return nil, c.Start(ctx, "c1") },
			reply: ok()},
		{name: "ShutdownGraceful", typ: prot.ComputeSystemShutdownGracefulV1, container: "c1",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return nil, c.ShutdownGraceful(ctx, "c1")
			},
			reply: ok()},
		{name: "ShutdownForced", typ: prot.ComputeSystemShutdownForcedV1, container: "c1",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return nil, c.ShutdownForced(ctx, "c1")
			},
			reply: ok()},
		{name: "ExecuteProcess", typ: prot.ComputeSystemExecuteProcessV1, container: prot.NullContainerID,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.ExecuteProcess(ctx, prot.NullContainerID, params, stdio)
			},
			check: func(t *testing.T, body []byte) {
				var req prot.ContainerExecuteProcess
				_ = json.Unmarshal(body, &req)
				var got prot.ProcessParameters
				decodeInner(t, "ProcessParameters", req.Settings.ProcessParameters, &got)
				if !reflect.DeepEqual(&got, params) {
					t.Errorf("ProcessParameters = %+v, want %+v", got, params)
				}
				if req.Settings.VsockStdioRelaySettings != stdio {
					t.Errorf("VsockStdioRelaySettings = %+v, want %+v", req.Settings.VsockStdioRelaySettings, stdio)
				}
				if !bytes.Contains(body, []byte(`"VsockStdioRelaySettings":{"StdOut":1073741825}`)) {
					t.Errorf("stdio relay settings not sent as the host does: %s", body)
				}
			},
			reply: &prot.ContainerExecuteProcessResponse{ProcessID: 1234},
			want:  uint32(1234)},
		{name: "WaitForProcess infinite", typ: prot.ComputeSystemWaitForProcessV1, container: "c1",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.WaitForProcess(ctx, "c1", 1234, -1)
			},
			check: func(t *testing.T, body []byte) {
				var req prot.ContainerWaitForProcess
				_ = json.Unmarshal(body, &req)
				if req.ProcessID != 1234 || req.TimeoutInMs != prot.InfiniteWaitTimeout {
					t.Errorf("pid %d timeout %d, want 1234 %d", req.ProcessID, req.TimeoutInMs, uint32(prot.InfiniteWaitTimeout))
				}
			},
			reply: &prot.ContainerWaitForProcessResponse{ExitCode: 137},
			want:  uint32(137)},
		{name: "WaitForProcess timeout", typ: prot.ComputeSystemWaitForProcessV1, container: "c1",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.WaitForProcess(ctx, "c1", 7, 1500*time.Microsecond)
			},
			check: func(t *testing.T, body []byte) {
				var req prot.ContainerWaitForProcess
				_ = json.Unmarshal(body, &req)
				if req.TimeoutInMs != 2 {
					t.Errorf("TimeoutInMs = %d, want 2 (1.5ms rounded up)", req.TimeoutInMs)
				}
			},
			reply: &prot.ContainerWaitForProcessResponse{ExitCode: 0},
			want:  uint32(0)},
		{name: "SignalProcess", typ: prot.ComputeSystemSignalProcessV1, container: "c1",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return nil, c.SignalProcess(ctx, "c1", 1234, 15)
			},
			check: func(t *testing.T, body []byte) {
				if !bytes.Contains(body, []byte(`"ProcessId":1234,"Options":{"Signal":15}`)) {
					t.Errorf("signal request %s", body)
				}
			},
			reply: ok()},
		{name: "ResizeConsole", typ: prot.ComputeSystemResizeConsoleV1, container: "c1",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return nil, c.ResizeConsole(ctx, "c1", 1234, 40, 120)
			},
			check: func(t *testing.T, body []byte) {
				if !bytes.Contains(body, []byte(`"ProcessId":1234,"Height":40,"Width":120}`)) {
					t.Errorf("resize request %s", body)
				}
			},
			reply: ok()},
		{name: "GetProperties", typ: prot.ComputeSystemGetPropertiesV1, container: "c1",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				p, err := c.GetProperties(ctx, "c1", prot.PtProcessList, prot.PtStatistics)
				if err != nil {
					return nil, err
				}
				return p.ProcessList, nil
			},
			check: func(t *testing.T, body []byte) {
				var req prot.ContainerGetProperties
				_ = json.Unmarshal(body, &req)
				var q prot.PropertyQuery
				decodeInner(t, "Query", req.Query, &q)
				if want := []prot.PropertyType{prot.PtProcessList, prot.PtStatistics}; !slices.Equal(q.PropertyTypes, want) {
					t.Errorf("PropertyTypes = %v, want %v", q.PropertyTypes, want)
				}
			},
			reply: &prot.ContainerGetPropertiesResponse{Properties: `{"ProcessList":[{"ProcessId":1},{"ProcessId":7}]}`},
			want:  []prot.ProcessDetails{{ProcessID: 1}, {ProcessID: 7}}},
		{name: "GetProperties nothing", typ: prot.ComputeSystemGetPropertiesV1, container: "c1",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.GetProperties(ctx, "c1")
			},
			check: func(t *testing.T, body []byte) {
				if !bytes.Contains(body, []byte(`"Query":"{}"`)) {
					t.Errorf("empty query %s", body)
				}
			},
			reply: &prot.ContainerGetPropertiesResponse{Properties: "{}"},
			want:  &prot.PropertiesV2{}},
		{name: "ModifySettings", typ: prot.ComputeSystemModifySettingsV1, container: prot.NullContainerID,
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return nil, c.ModifySettings(ctx, prot.NullContainerID, modify)
			},
			check: func(t *testing.T, body []byte) {
				msg, err := prot.UnmarshalContainerModifySettings(body)
				if err != nil {
					t.Fatal(err)
				}
				if got := msg.ModificationRequest(); !reflect.DeepEqual(got, modify) {
					t.Errorf("Request = %+v, want %+v (a nested object)", got, modify)
				}
			},
			reply: ok()},
		{name: "DeleteContainerState", typ: prot.ComputeSystemDeleteContainerStateV1, container: "c1",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return nil, c.DeleteContainerState(ctx, "c1")
			},
			reply: ok()},
	}
	activityIDs := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newPair(t)
			type out struct {
				v   any
				err error
			}
			ch := make(chan out, 1)
			go func() {
				v, err := tt.call(testContext(t), c)
				ch <- out{v, err}
			}()
			r := f.mustRecv(t)
			if r.header.Type != tt.typ || r.header.ID != 0 || r.header.Size != uint32(16+len(r.body)) {
				t.Errorf("header %+v, want type %v, id 0, size %d", r.header, tt.typ, 16+len(r.body))
			}
			if !bytes.HasSuffix(r.body, []byte("}\n")) {
				t.Errorf("body does not end with a single newline after the object: %q", r.body)
			}
			if bytes.Contains(r.body, []byte(`\u003c`)) || bytes.Contains(r.body, []byte(`\u0026`)) {
				t.Errorf("HTML escaped in %s", r.body)
			}
			if strings.Contains(tt.name, "Create") || strings.Contains(tt.name, "Execute") || tt.name == "ModifySettings" {
				if !bytes.Contains(r.body, []byte(htmlText)) {
					t.Errorf("%q not found verbatim in %s", htmlText, r.body)
				}
			}
			var base prot.MessageBase
			if err := json.Unmarshal(r.body, &base); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, r.body)
			}
			if base.ContainerID != tt.container {
				t.Errorf("ContainerId = %q, want %q", base.ContainerID, tt.container)
			}
			if !guidRE.MatchString(base.ActivityID) {
				t.Errorf("ActivityId %q is not a lower-case random GUID", base.ActivityID)
			}
			if prev, dup := activityIDs[base.ActivityID]; dup {
				t.Errorf("ActivityId %s reused (first by %s)", base.ActivityID, prev)
			}
			activityIDs[base.ActivityID] = tt.name
			if tt.check != nil {
				tt.check(t, r.body)
			} else if got := keys(t, r.body); !slices.Equal(got, baseKeys) {
				t.Errorf("keys %v, want only %v", got, baseKeys)
			}
			f.mustReply(t, r, tt.reply)
			res := <-ch
			if res.err != nil {
				t.Fatalf("call: %v", res.err)
			}
			if !reflect.DeepEqual(res.v, tt.want) {
				t.Errorf("result %#v, want %#v", res.v, tt.want)
			}
		})
	}
}

func TestNegotiateChecksVersion(t *testing.T) {
	c, f := newPair(t)
	f.serve(func(request) any { return &prot.NegotiateProtocolResponse{Version: 3} })
	_, err := c.Negotiate(testContext(t))
	if err == nil || !strings.Contains(err.Error(), "selected protocol version 3, want 4") {
		t.Errorf("Negotiate = %v, want a version error", err)
	}
}
