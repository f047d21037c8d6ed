package hcsv2

// Seed corpora of the handler fuzz targets: every request body of the
// recorded captures (copied from /work/shared/spec/captures into
// internal/prot/testdata) plus hand-written bodies for what the captures
// lack, with placeholders the harness fills in: $ROOT (the harness root:
// the captures' /run/gcs, /run/layers and /run/mounts live below it), $CID
// (the harness's standing container, which every captured container id
// becomes) and $PID (its init's pid, which every captured ProcessId
// becomes).

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

const capturesDir = "../prot/testdata/captures"

// seedCapture is the part of a capture file the seeds need.
type seedCapture struct {
	RequestHeader *struct {
		Type string `json:"type"`
	} `json:"request_header"`
	Request    json.RawMessage `json:"request"`
	RequestRaw *string         `json:"request_raw"`
}

var (
	processIDPattern = regexp.MustCompile(`"ProcessId":[0-9]+`)
	containerIDField = regexp.MustCompile(`"ContainerI[dD]":"([^"\\]+)"`)
)

// captureSeeds returns the captured request bodies of message type typ,
// with their paths, container ids and pids turned into placeholders.
func captureSeeds(tb testing.TB, typ prot.MessageIdentifier) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(capturesDir, "s*_*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no captures in %s: %v", capturesDir, err)
	}
	sort.Strings(files)
	var out [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		var c seedCapture
		if err := json.Unmarshal(b, &c); err != nil {
			tb.Fatalf("%s: %v", file, err)
		}
		if c.RequestHeader == nil {
			continue
		}
		v, err := strconv.ParseUint(c.RequestHeader.Type, 0, 32)
		if err != nil || prot.MessageIdentifier(v) != typ {
			continue
		}
		var body []byte
		if c.RequestRaw != nil {
			body = []byte(*c.RequestRaw)
		} else {
			var buf bytes.Buffer
			if err := json.Compact(&buf, c.Request); err != nil {
				tb.Fatalf("%s: %v", file, err)
			}
			body = buf.Bytes()
		}
		out = append(out, placeholders(body))
	}
	return out
}

// placeholders rewrites a captured body for the harness.
func placeholders(body []byte) []byte {
	for _, p := range [][2]string{{"/run/gcs", "$ROOT/gcs"}, {"/run/layers", "$ROOT/layers"}, {"/run/mounts", "$ROOT/mounts"}} {
		body = bytes.ReplaceAll(body, []byte(p[0]), []byte(p[1]))
	}
	for _, m := range containerIDField.FindAllSubmatch(body, -1) {
		if id := string(m[1]); id != prot.NullContainerID && len(id) == 64 {
			body = bytes.ReplaceAll(body, m[1], []byte("$CID"))
		}
	}
	return processIDPattern.ReplaceAll(body, []byte(`"ProcessId":$PID`))
}

// modifyBody wraps a ModificationRequest for the utility VM.
func modifyBody(cid, request string) []byte {
	return []byte(`{"ContainerId":"` + cid + `","ActivityId":"a","Request":` + request + `}`)
}

// extraSeeds are the hand-written bodies, by message type.
func extraSeeds() map[prot.MessageIdentifier][][]byte {
	null := prot.NullContainerID
	uvmExec := func(params string) []byte {
		b, _ := json.Marshal(params)
		return []byte(`{"ContainerId":"` + null + `","Settings":{"ProcessParameters":` + string(b) +
			`,"VsockStdioRelaySettings":{"StdIn":1,"StdOut":2,"StdErr":3}}}`)
	}
	ctrExec := func(params string) []byte {
		b, _ := json.Marshal(params)
		return []byte(`{"ContainerId":"$CID","Settings":{"ProcessParameters":` + string(b) +
			`,"VsockStdioRelaySettings":{"StdOut":2}}}`)
	}
	return map[prot.MessageIdentifier][][]byte{
		prot.ComputeSystemExecuteProcessV1: {
			uvmExec(`{"CommandArgs":["/bin/echo","hi"],"CreateStdInPipe":true,"CreateStdOutPipe":true,"CreateStdErrPipe":true}`),
			uvmExec(`{"CommandLine":"/bin/sh -c 'exit 3'","EmulateConsole":true,"CreateStdOutPipe":true}`),
			uvmExec(`{"CommandLine":"\"unterminated","CreateStdOutPipe":true}`),
			ctrExec(`{"OciProcess":{"args":["/bin/true"],"cwd":"/","user":{"uid":0,"gid":0}},"CreateStdOutPipe":true}`),
			ctrExec(`{"OciProcess":{"terminal":true,"args":["/bin/sh"],"cwd":"/","consoleSize":{"height":24,"width":80}},"EmulateConsole":true,"CreateStdOutPipe":true}`),
		},
		prot.ComputeSystemWaitForProcessV1: {
			[]byte(`{"ContainerId":"$CID","ProcessId":$PID,"TimeoutInMs":4294967295}`),
			[]byte(`{"ContainerId":"$CID","ProcessId":$PID,"TimeoutInMs":0}`),
			[]byte(`{"ContainerId":"` + null + `","ProcessId":1,"TimeoutInMs":10}`),
		},
		prot.ComputeSystemSignalProcessV1: {
			[]byte(`{"ContainerId":"$CID","ProcessId":$PID,"Options":{"Signal":9}}`),
			[]byte(`{"ContainerId":"$CID","ProcessId":$PID,"Options":{"Signal":-1}}`),
			[]byte(`{"ContainerId":"` + null + `","ProcessId":1,"Options":{"Signal":0}}`),
		},
		prot.ComputeSystemResizeConsoleV1: {
			[]byte(`{"ContainerId":"$CID","ProcessId":$PID,"Height":24,"Width":80}`),
			[]byte(`{"ContainerId":"` + null + `","ProcessId":1,"Height":65535,"Width":65535}`),
		},
		prot.ComputeSystemGetPropertiesV1: {
			[]byte(`{"ContainerId":"$CID","Query":"{\"PropertyTypes\":[\"ProcessList\",\"Statistics\",\"Memory\"]}"}`),
			[]byte(`{"ContainerId":"` + null + `","Query":""}`),
		},
		prot.ComputeSystemModifySettingsV1: {
			modifyBody(null, `{"ResourceType":"MappedVirtualDisk","RequestType":"Add","Settings":{"MountPath":"$ROOT/mounts/d0","Lun":1,"Controller":0,"ReadOnly":true}}`),
			modifyBody(null, `{"ResourceType":"MappedVirtualDisk","RequestType":"Remove","Settings":{"MountPath":"$ROOT/mounts/d0","Lun":1}}`),
			modifyBody(null, `{"ResourceType":"SCSIDevice","RequestType":"Remove","Settings":{"Controller":0,"Lun":1}}`),
			modifyBody(null, `{"ResourceType":"MappedDirectory","RequestType":"Add","Settings":{"MountPath":"$ROOT/mounts/s0","Port":1,"ShareName":"share","ReadOnly":true}}`),
			modifyBody(null, `{"ResourceType":"MappedDirectory","RequestType":"Remove","Settings":{"MountPath":"$ROOT/mounts/s0"}}`),
			modifyBody(null, `{"ResourceType":"VPMemDevice","RequestType":"Add","Settings":{"DeviceNumber":0,"MountPath":"$ROOT/mounts/p0"}}`),
			modifyBody(null, `{"ResourceType":"VPMemDevice","RequestType":"Add","Settings":{"DeviceNumber":1,"MountPath":"$ROOT/mounts/p1","MappingInfo":{"DeviceOffsetInBytes":4096,"DeviceSizeInBytes":8192},"VerityInfo":{"Ext4SizeInBytes":4096,"Version":1,"Algorithm":"sha256","RootDigest":"00","Salt":"00","BlockSize":4096}}}`),
			modifyBody(null, `{"ResourceType":"VPMemDevice","RequestType":"Remove","Settings":{"DeviceNumber":0,"MountPath":"$ROOT/mounts/p0"}}`),
			modifyBody(null, `{"ResourceType":"CombinedLayers","RequestType":"Add","Settings":{"ContainerRootPath":"$ROOT/gcs/c/x/rootfs","Layers":[{"Path":"$ROOT/layers/l0"},{"Path":"$ROOT/layers/l1"}]}}`),
			modifyBody(null, `{"ResourceType":"CombinedLayers","RequestType":"Add","Settings":{"ContainerRootPath":"$ROOT/gcs/c/y/rootfs","Layers":[{"Path":"$ROOT/layers/l0"}],"ScratchPath":"$ROOT/gcs/c/y/scratch"}}`),
			modifyBody(null, `{"ResourceType":"CombinedLayers","RequestType":"Remove","Settings":{"ContainerRootPath":"$ROOT/gcs/c/y/rootfs"}}`),
			modifyBody(null, `{"ResourceType":"Network","RequestType":"Add","Settings":{"NamespaceID":"ns1","ID":"a1","MacAddress":"00-15-5D-00-00-01","IPConfigs":[{"IPAddress":"10.0.0.2","PrefixLength":24}],"Routes":[{"NextHop":"10.0.0.1","DestinationPrefix":"0.0.0.0/0"}],"DNSServerList":"10.0.0.1","DNSSuffix":"example"}}`),
			modifyBody(null, `{"ResourceType":"Network","RequestType":"Remove","Settings":{"NamespaceID":"ns1","ID":"a1"}}`),
			modifyBody(null, `{"ResourceType":"VPCIDevice","RequestType":"Add","Settings":{"VMBusGUID":"9b5c7a5e-0000-4000-8000-000000000001"}}`),
			modifyBody(null, `{"ResourceType":"SecurityPolicy","RequestType":"Add","Settings":{"EnforcerType":"rego","EncodedSecurityPolicy":"e30="}}`),
			modifyBody(null, `{"ResourceType":"PolicyFragment","RequestType":"Add","Settings":{"Fragment":"e30=","MediaType":"x"}}`),
			modifyBody(null, `{"ResourceType":"PodCgroupMemoryLimit","RequestType":"Update","Settings":{}}`),
			modifyBody("$CID", `{"ResourceType":"ContainerConstraints","RequestType":"Update","Settings":{"Linux":{"cpu":{"shares":512},"pids":{"limit":64}}}}`),
			modifyBody("$CID", `{"ResourceType":"CombinedLayers","RequestType":"Add","Settings":{"ContainerRootPath":"$ROOT/gcs/c/z"}}`),
		},
		prot.ComputeSystemDumpStacksV1:           {[]byte(`{}`), []byte(`null`)},
		prot.ComputeSystemDeleteContainerStateV1: {[]byte(`{"ContainerId":"$CID"}`), []byte(`{"ContainerId":"../../etc"}`)},
		prot.ComputeSystemShutdownGracefulV1:     {[]byte(`{"ContainerId":"$CID"}`)},
		prot.ComputeSystemShutdownForcedV1:       {[]byte(`{"ContainerId":"$CID"}`), []byte(`{"ContainerId":"` + null + `"}`)},
		prot.ComputeSystemNegotiateProtocolV1: {
			[]byte(`{"MinimumVersion":4,"MaximumVersion":4}`),
			[]byte(`{"MinimumVersion":5,"MaximumVersion":4294967295}`),
		},
		prot.ComputeSystemStartV1: {[]byte(`{"ContainerId":"$CID"}`)},
	}
}
