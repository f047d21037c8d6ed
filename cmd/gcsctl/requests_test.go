package main

// The device, network and modify commands are tested here only for the
// request each command line becomes, against the fake peer: the daemon
// does not implement those resources yet, so they cannot run end to end.
// The container commands get the same check here and run against the real
// daemon in daemon_test.go.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// sentRequest is the part of a request a command line decides.
type sentRequest struct {
	typ       prot.MessageIdentifier
	container string
	body      any // decoded by decodeSent; nil for base-only requests
}

// decodeSent decodes the command-specific part of a request body.
func decodeSent(t *testing.T, r seenRequest) sentRequest {
	t.Helper()
	var base prot.MessageBase
	if err := json.Unmarshal(r.body, &base); err != nil {
		t.Fatalf("request body %s: %v", r.body, err)
	}
	s := sentRequest{typ: r.header.Type, container: base.ContainerID}
	unmarshal := func(v any) {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("request body %s: %v", r.body, err)
		}
	}
	switch r.header.Type {
	case prot.ComputeSystemModifySettingsV1:
		msg, err := prot.UnmarshalContainerModifySettings(r.body)
		if err != nil {
			t.Fatalf("ModifySettings body %s: %v", r.body, err)
		}
		s.body = msg.ModificationRequest()
	case prot.ComputeSystemSignalProcessV1:
		var req prot.ContainerSignalProcess
		unmarshal(&req)
		req.MessageBase = prot.MessageBase{}
		s.body = &req
	case prot.ComputeSystemWaitForProcessV1:
		var req prot.ContainerWaitForProcess
		unmarshal(&req)
		req.MessageBase = prot.MessageBase{}
		s.body = &req
	case prot.ComputeSystemGetPropertiesV1:
		var req prot.ContainerGetProperties
		unmarshal(&req)
		var q prot.PropertyQuery
		if err := json.Unmarshal([]byte(req.Query), &q); err != nil {
			t.Fatalf("Query %q: %v", req.Query, err)
		}
		s.body = &q
	}
	return s
}

// modifyVMRequest is the expected ModifySettings of a device command.
func modifyVMRequest(rt prot.ResourceType, op prot.RequestType, settings any) sentRequest {
	return sentRequest{typ: prot.ComputeSystemModifySettingsV1, container: prot.NullContainerID,
		body: &prot.ModificationRequest{ResourceType: rt, RequestType: op, Settings: settings}}
}

func TestCommandRequests(t *testing.T) {
	dir := t.TempDir()
	reqFile := filepath.Join(dir, "share.json")
	if err := os.WriteFile(reqFile, []byte(`{"ResourceType":"MappedDirectory","RequestType":"Add",`+
		`"Settings":{"MountPath":"/mnt/share","Port":564,"ShareName":"a<b>"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const (
		tProps  = prot.ComputeSystemGetPropertiesV1
		tWait   = prot.ComputeSystemWaitForProcessV1
		tSignal = prot.ComputeSystemSignalProcessV1
	)
	wait := func(ms uint32) *prot.ContainerWaitForProcess {
		return &prot.ContainerWaitForProcess{ProcessID: 42, TimeoutInMs: ms}
	}
	signal := func(sig int32) *prot.ContainerSignalProcess {
		return &prot.ContainerSignalProcess{ProcessID: 42, Options: prot.SignalProcessOptions{Signal: sig}}
	}
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string // regular expression
		want   sentRequest
	}{
		{name: "ps -q", args: []string{"ps", "-q", "c1"}, stdout: `^42\n43\n$`,
			want: sentRequest{tProps, "c1", &prot.PropertyQuery{PropertyTypes: []prot.PropertyType{prot.PtProcessList}}}},
		{name: "ps --json", args: []string{"ps", "--json", "c1"},
			stdout: `^\{\n  "ProcessList": \[\n    \{\n      "ProcessId": 42\n    \},`,
			want:   sentRequest{tProps, "c1", &prot.PropertyQuery{PropertyTypes: []prot.PropertyType{prot.PtProcessList}}}},
		{name: "stats", args: []string{"stats", "c1"},
			stdout: `^CPU total:\s+51234567 ns \(51\.235ms\)\nMemory usage:\s+3\.0 MiB \(3145728\)\nMemory limit:\s+unlimited\nPids current:\s+2\n$`,
			want:   sentRequest{tProps, "c1", &prot.PropertyQuery{PropertyTypes: []prot.PropertyType{prot.PtStatistics}}}},
		{name: "stats --json", args: []string{"--json", "stats", "c1"},
			stdout: `^\{\n  "pids": \{\n    "current": 2\n  \},\n  "cpu": \{`,
			want:   sentRequest{tProps, "c1", &prot.PropertyQuery{PropertyTypes: []prot.PropertyType{prot.PtStatistics}}}},
		{name: "kill a container", args: []string{"kill", "c1"},
			want: sentRequest{prot.ComputeSystemShutdownForcedV1, "c1", nil}},
		{name: "kill a container with SIGKILL", args: []string{"kill", "--signal", "SIGKILL", "c1"},
			want: sentRequest{prot.ComputeSystemShutdownForcedV1, "c1", nil}},
		{name: "kill a container with TERM", args: []string{"kill", "--signal", "TERM", "c1"},
			want: sentRequest{prot.ComputeSystemShutdownGracefulV1, "c1", nil}},
		{name: "kill a container with 15", args: []string{"kill", "--signal=15", "c1"},
			want: sentRequest{prot.ComputeSystemShutdownGracefulV1, "c1", nil}},
		{name: "kill a process", args: []string{"kill", "c1", "42"},
			want: sentRequest{tSignal, "c1", signal(9)}},
		{name: "kill a process with hup", args: []string{"kill", "--signal", "hup", "c1", "42"},
			want: sentRequest{tSignal, "c1", signal(1)}},
		{name: "kill a process with 10", args: []string{"kill", "--signal", "10", "c1", "42"},
			want: sentRequest{tSignal, "c1", signal(10)}},
		{name: "wait", args: []string{"wait", "c1", "42"}, code: fakeExitCode, stdout: `^7\n$`,
			want: sentRequest{tWait, "c1", wait(prot.InfiniteWaitTimeout)}},
		{name: "wait with a timeout", args: []string{"wait", "--timeout", "1500ms", "c1", "42"}, code: fakeExitCode,
			want: sentRequest{tWait, "c1", wait(1500)}},
		{name: "wait with a timeout before the command", args: []string{"--timeout", "2s", "wait", "c1", "42"}, code: fakeExitCode,
			want: sentRequest{tWait, "c1", wait(2000)}},
		{name: "wait with timeout 0", args: []string{"--timeout", "0", "wait", "c1", "42"}, code: fakeExitCode,
			want: sentRequest{tWait, "c1", wait(prot.InfiniteWaitTimeout)}},
		{name: "rm", args: []string{"rm", "c1"},
			want: sentRequest{prot.ComputeSystemDeleteContainerStateV1, "c1", nil}},
		{name: "layers add", args: []string{"layers", "add", "--id", "c1", "/l/top", "/l/base/"},
			want: modifyVMRequest(prot.ResourceTypeCombinedLayers, prot.RequestTypeAdd, &prot.LCOWCombinedLayers{
				ContainerID: "c1", ContainerRootPath: "/run/gcs/c/c1/rootfs",
				Layers: []prot.Layer{{Path: "/l/top"}, {Path: "/l/base"}}, ScratchPath: "/run/gcs/c/c1/scratch"})},
		{name: "layers add under another root", args: []string{"--root", "/srv/gcs", "layers", "add", "--id", "c1", "--scratch", "/s/c1", "/l"},
			want: modifyVMRequest(prot.ResourceTypeCombinedLayers, prot.RequestTypeAdd, &prot.LCOWCombinedLayers{
				ContainerID: "c1", ContainerRootPath: "/srv/gcs/c/c1/rootfs", Layers: []prot.Layer{{Path: "/l"}}, ScratchPath: "/s/c1"})},
		{name: "layers remove", args: []string{"layers", "remove", "--id", "c1"},
			want: modifyVMRequest(prot.ResourceTypeCombinedLayers, prot.RequestTypeRemove, &prot.LCOWCombinedLayers{
				ContainerID: "c1", ContainerRootPath: "/run/gcs/c/c1/rootfs"})},
		{name: "disk add, every flag", args: []string{"disk", "add", "--lun", "3", "--controller", "1", "--partition", "2", "--ro",
			"--fs", "xfs", "--ensure-fs", "--block-dev", "--encrypted", "--option", "rshared", "--option", "noatime", "/run/mounts/m1"},
			want: modifyVMRequest(prot.ResourceTypeMappedVirtualDisk, prot.RequestTypeAdd, &prot.LCOWMappedVirtualDisk{
				MountPath: "/run/mounts/m1", Lun: 3, Controller: 1, Partition: 2, ReadOnly: true, Encrypted: true,
				Options: []string{"rshared", "noatime"}, BlockDev: true, EnsureFilesystem: true, Filesystem: "xfs"})},
		{name: "disk add, LUN 255 on controller 3", args: []string{"disk", "add", "--lun", "255", "--controller", "3", "/m/"},
			want: modifyVMRequest(prot.ResourceTypeMappedVirtualDisk, prot.RequestTypeAdd, &prot.LCOWMappedVirtualDisk{
				MountPath: "/m", Lun: 255, Controller: 3})},
		{name: "disk remove", args: []string{"disk", "remove", "--lun", "3", "--controller", "1", "/run/mounts/m1"},
			want: modifyVMRequest(prot.ResourceTypeMappedVirtualDisk, prot.RequestTypeRemove, &prot.LCOWMappedVirtualDisk{
				MountPath: "/run/mounts/m1", Lun: 3, Controller: 1})},
		{name: "disk unplug", args: []string{"disk", "unplug", "--lun", "3", "--controller", "2"},
			want: modifyVMRequest(prot.ResourceTypeSCSIDevice, prot.RequestTypeRemove, &prot.SCSIDevice{Controller: 2, Lun: 3})},
		{name: "pmem add", args: []string{"pmem", "add", "--device", "1", "/run/layers/p1"},
			want: modifyVMRequest(prot.ResourceTypeVPMemDevice, prot.RequestTypeAdd, &prot.LCOWMappedVPMemDevice{
				DeviceNumber: 1, MountPath: "/run/layers/p1"})},
		{name: "pmem add a range", args: []string{"pmem", "add", "--device", "2", "--offset", "0", "--size", "4096", "/run/layers/p2"},
			want: modifyVMRequest(prot.ResourceTypeVPMemDevice, prot.RequestTypeAdd, &prot.LCOWMappedVPMemDevice{
				DeviceNumber: 2, MountPath: "/run/layers/p2",
				MappingInfo: &prot.LCOWVPMemMappingInfo{DeviceOffsetInBytes: 0, DeviceSizeInBytes: 4096}})},
		{name: "pmem remove", args: []string{"pmem", "remove", "--device", "2", "/run/layers/p2"},
			want: modifyVMRequest(prot.ResourceTypeVPMemDevice, prot.RequestTypeRemove, &prot.LCOWMappedVPMemDevice{
				DeviceNumber: 2, MountPath: "/run/layers/p2"})},
		{name: "share add", args: []string{"share", "add", "--port", "564", "--share", "data", "--ro", "/mnt/data"},
			want: modifyVMRequest(prot.ResourceTypeMappedDirectory, prot.RequestTypeAdd, &prot.LCOWMappedDirectory{
				MountPath: "/mnt/data", Port: 564, ShareName: "data", ReadOnly: true})},
		{name: "share remove", args: []string{"share", "remove", "/mnt/data"},
			want: modifyVMRequest(prot.ResourceTypeMappedDirectory, prot.RequestTypeRemove, &prot.LCOWMappedDirectory{MountPath: "/mnt/data"})},
		{name: "net add, every flag", args: []string{"net", "add", "--ns", "6B1D", "--id", "4a8e", "--mac", "00-15-5D-11-22-33",
			"--ip", "10.0.0.5/24", "--ip", "fd00::5/64", "--route", "0.0.0.0/0=10.0.0.1", "--route", "::/0=fd00::1@256",
			"--dns", "10.0.0.10,10.0.0.11", "--dns-suffix", "svc.local,local", "--encap-overhead", "50"},
			want: modifyVMRequest(prot.ResourceTypeNetwork, prot.RequestTypeAdd, &prot.LCOWNetworkAdapter{
				NamespaceID: "6B1D", ID: "4a8e", MacAddress: "00-15-5D-11-22-33", DNSSuffix: "svc.local,local",
				DNSServerList: "10.0.0.10,10.0.0.11", EncapOverhead: 50,
				IPConfigs: []prot.LCOWIPConfig{{IPAddress: "10.0.0.5", PrefixLength: 24}, {IPAddress: "fd00::5", PrefixLength: 64}},
				Routes: []prot.LCOWRoute{{NextHop: "10.0.0.1", DestinationPrefix: "0.0.0.0/0"},
					{NextHop: "fd00::1", DestinationPrefix: "::/0", Metric: 256}}})},
		{name: "net add, required flags only", args: []string{"net", "add", "--ns", "n1", "--id", "a1", "--mac", "00:15:5d:11:22:33"},
			want: modifyVMRequest(prot.ResourceTypeNetwork, prot.RequestTypeAdd, &prot.LCOWNetworkAdapter{
				NamespaceID: "n1", ID: "a1", MacAddress: "00:15:5d:11:22:33"})},
		{name: "net remove", args: []string{"net", "remove", "--ns", "n1", "--id", "a1"},
			want: modifyVMRequest(prot.ResourceTypeNetwork, prot.RequestTypeRemove, &prot.LCOWNetworkAdapter{NamespaceID: "n1", ID: "a1"})},
		{name: "modify from a file", args: []string{"modify", reqFile},
			want: modifyVMRequest(prot.ResourceTypeMappedDirectory, prot.RequestTypeAdd, &prot.LCOWMappedDirectory{
				MountPath: "/mnt/share", Port: 564, ShareName: "a<b>"})},
		{name: "modify a container from stdin", args: []string{"modify", "--container", "c1", "-"},
			stdin: `{"ResourceType":"ContainerConstraints","Settings":{"Linux":{"pids":{"limit":9223372036854775807}}}}`,
			want: sentRequest{prot.ComputeSystemModifySettingsV1, "c1", &prot.ModificationRequest{
				ResourceType: prot.ResourceTypeContainerConstraints, RequestType: prot.RequestTypeAdd, // the default
				Settings: &prot.LCOWContainerConstraints{Linux: oci.LinuxResources{Pids: &oci.LinuxPids{Limit: ptr(int64(9223372036854775807))}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, addr := listenFake(t)
			a, stdout, stderr := newTestApp(nil, tt.stdin)
			if code := a.run(t.Context(), append([]string{"--addr", addr}, tt.args...)); code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if !regexp.MustCompile(tt.stdout).MatchString(stdout.String()) {
				t.Errorf("stdout does not match %q:\n%s", tt.stdout, stdout)
			}
			reqs := f.requests()
			if len(reqs) != 2 || reqs[0].header.Type != prot.ComputeSystemNegotiateProtocolV1 {
				t.Fatalf("GCS saw %v, want NegotiateProtocol and one request", f.types())
			}
			got := decodeSent(t, reqs[1])
			if got.typ != tt.want.typ || got.container != tt.want.container {
				t.Errorf("request %s for %q, want %s for %q", got.typ, got.container, tt.want.typ, tt.want.container)
			}
			if !reflect.DeepEqual(got.body, tt.want.body) {
				gb, _ := json.Marshal(got.body)
				wb, _ := json.Marshal(tt.want.body)
				t.Errorf("request body\n got %s\nwant %s\nsent %s", gb, wb, reqs[1].body)
			}
		})
	}
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
