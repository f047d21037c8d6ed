package prot_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

func modifyBody(request string) string {
	return `{"ContainerId":"00000000-0000-0000-0000-000000000000","ActivityId":"9a1c7a53-5f0e-4a55-8d38-6f2a7f5c1b20","Request":` + request + "}\n"
}

func u64(v uint64) *uint64 { return &v }
func i64(v int64) *int64   { return &v }

// modifyOK are well-formed requests for every ResourceType a Linux guest
// decodes, with the Settings keys of WIRE.md §4.10.
var modifyOK = []struct {
	name    string
	request string
	reqType prot.RequestType
	want    any
}{
	{"SCSIDevice", `{"RequestType":"Remove","ResourceType":"SCSIDevice","Settings":{"Controller":1,"Lun":3}}`,
		prot.RequestTypeRemove, &prot.SCSIDevice{Controller: 1, Lun: 3}},
	{"MappedVirtualDisk", `{"RequestType":"Add","ResourceType":"MappedVirtualDisk","Settings":{"MountPath":"/run/mounts/scsi/m1","Lun":1,"Controller":2,"Partition":3,"ReadOnly":true,"Encrypted":true,"Options":["rshared"],"BlockDev":false,"VerityInfo":{"Ext4SizeInBytes":4096,"Version":1,"Algorithm":"sha256","SuperBlock":true,"RootDigest":"ab12","Salt":"cd34","BlockSize":4096},"EnsureFilesystem":true,"Filesystem":"xfs"}}`,
		prot.RequestTypeAdd, &prot.LCOWMappedVirtualDisk{MountPath: "/run/mounts/scsi/m1", Lun: 1, Controller: 2, Partition: 3,
			ReadOnly: true, Encrypted: true, Options: []string{"rshared"}, EnsureFilesystem: true, Filesystem: "xfs",
			VerityInfo: &prot.DeviceVerityInfo{Ext4SizeInBytes: 4096, Version: 1, Algorithm: "sha256", SuperBlock: true,
				RootDigest: "ab12", Salt: "cd34", BlockSize: 4096}}},
	{"MappedDirectory", `{"RequestType":"Add","ResourceType":"MappedDirectory","Settings":{"MountPath":"/run/mounts/m2","Port":564,"ShareName":"share","ReadOnly":true}}`,
		prot.RequestTypeAdd, &prot.LCOWMappedDirectory{MountPath: "/run/mounts/m2", Port: 564, ShareName: "share", ReadOnly: true}},
	{"VPMemDevice", `{"RequestType":"Add","ResourceType":"VPMemDevice","Settings":{"DeviceNumber":2,"MountPath":"/run/layers/p2","MappingInfo":{"DeviceOffsetInBytes":4096,"DeviceSizeInBytes":1048576}}}`,
		prot.RequestTypeAdd, &prot.LCOWMappedVPMemDevice{DeviceNumber: 2, MountPath: "/run/layers/p2",
			MappingInfo: &prot.LCOWVPMemMappingInfo{DeviceOffsetInBytes: 4096, DeviceSizeInBytes: 1048576}}},
	{"CombinedLayers", `{"RequestType":"Add","ResourceType":"CombinedLayers","Settings":{"ContainerID":"c1","ContainerRootPath":"/run/gcs/c/c1/rootfs","Layers":[{"Path":"/run/layers/p0"},{"Id":"l1","Path":"/run/layers/p1","PathType":"AbsolutePath","Cache":"x"}],"ScratchPath":"/run/gcs/c/c1/scratch/c1"}}`,
		prot.RequestTypeAdd, &prot.LCOWCombinedLayers{ContainerID: "c1", ContainerRootPath: "/run/gcs/c/c1/rootfs",
			Layers:      []prot.Layer{{Path: "/run/layers/p0"}, {ID: "l1", Path: "/run/layers/p1", PathType: "AbsolutePath", Cache: "x"}},
			ScratchPath: "/run/gcs/c/c1/scratch/c1"}},
	{"Network", `{"RequestType":"Add","ResourceType":"Network","Settings":{"NamespaceID":"6b1d0f4e","ID":"4a8e","MacAddress":"00-15-5D-11-22-33","DNSSuffix":"svc.local,local","DNSServerList":"10.0.0.10","EncapOverhead":50,"VPCIAssigned":true,"IPConfigs":[{"IPAddress":"10.0.0.5","PrefixLength":24}],"Routes":[{"NextHop":"10.0.0.1","DestinationPrefix":"0.0.0.0/0","Metric":5}],"PolicyBasedRouting":true,"EnableLowMetric":true}}`,
		prot.RequestTypeAdd, &prot.LCOWNetworkAdapter{NamespaceID: "6b1d0f4e", ID: "4a8e", MacAddress: "00-15-5D-11-22-33",
			DNSSuffix: "svc.local,local", DNSServerList: "10.0.0.10", EncapOverhead: 50, VPCIAssigned: true,
			IPConfigs:          []prot.LCOWIPConfig{{IPAddress: "10.0.0.5", PrefixLength: 24}},
			Routes:             []prot.LCOWRoute{{NextHop: "10.0.0.1", DestinationPrefix: "0.0.0.0/0", Metric: 5}},
			PolicyBasedRouting: true, EnableLowMetric: true}},
	{"Network remove", `{"RequestType":"Remove","ResourceType":"Network","Settings":{"NamespaceID":"6b1d0f4e","ID":"4a8e"}}`,
		prot.RequestTypeRemove, &prot.LCOWNetworkAdapter{NamespaceID: "6b1d0f4e", ID: "4a8e"}},
	{"VPCIDevice", `{"RequestType":"Add","ResourceType":"VPCIDevice","Settings":{"VMBusGUID":"2d5f8c3a-1111-2222-3333-444455556666"}}`,
		prot.RequestTypeAdd, &prot.LCOWMappedVPCIDevice{VMBusGUID: "2d5f8c3a-1111-2222-3333-444455556666"}},
	{"ContainerConstraints", `{"RequestType":"Update","ResourceType":"ContainerConstraints","Settings":{"Linux":{"memory":{"limit":268435456},"cpu":{"shares":512,"quota":50000}}}}`,
		prot.RequestTypeUpdate, &prot.LCOWContainerConstraints{Linux: oci.LinuxResources{
			Memory: &oci.LinuxMemory{Limit: i64(268435456)}, CPU: &oci.LinuxCPU{Shares: u64(512), Quota: i64(50000)}}}},
	{"SecurityPolicy", `{"ResourceType":"SecurityPolicy","Settings":{"EnforcerType":"rego","EncodedSecurityPolicy":"cGFja2FnZSBwb2xpY3k=","EncodedUVMReference":"dXZt","EncodedUVMHashEnvelopeReference":"ZW52"}}`,
		prot.RequestTypeAdd, &prot.LCOWConfidentialOptions{EnforcerType: "rego", EncodedSecurityPolicy: "cGFja2FnZSBwb2xpY3k=",
			EncodedUVMReference: "dXZt", EncodedUVMHashEnvelopeReference: "ZW52"}},
	{"SecurityPolicyFragment", `{"RequestType":"Add","ResourceType":"SecurityPolicyFragment","Settings":{"Fragment":"0oRYGA==","MediaType":"application/cose-x509+rego"}}`,
		prot.RequestTypeAdd, &prot.LCOWSecurityPolicyFragment{Fragment: "0oRYGA==", MediaType: "application/cose-x509+rego"}},
	{"PodCgroupMemoryLimit without Settings", `{"RequestType":"Update","ResourceType":"PodCgroupMemoryLimit"}`,
		prot.RequestTypeUpdate, &prot.PodCgroupMemoryLimit{}},
	// RequestType defaults to Add, whether absent or empty (WIRE.md §4.10).
	{"RequestType absent", `{"ResourceType":"MappedDirectory","Settings":{"MountPath":"/m","Port":564}}`,
		prot.RequestTypeAdd, &prot.LCOWMappedDirectory{MountPath: "/m", Port: 564}},
	{"RequestType empty", `{"RequestType":"","ResourceType":"SCSIDevice","Settings":{"Lun":1}}`,
		prot.RequestTypeAdd, &prot.SCSIDevice{Lun: 1}},
	// Other RequestTypes pass through; the handler decides (capture s1_119).
	{"RequestType PreAdd kept", `{"RequestType":"PreAdd","ResourceType":"Network","Settings":{"ID":"a"}}`,
		prot.RequestTypePreAdd, &prot.LCOWNetworkAdapter{ID: "a"}},
	// encoding/json semantics: keys match case-insensitively, unknown keys are ignored.
	{"case-insensitive keys", `{"requesttype":"Remove","resourcetype":"SCSIDevice","settings":{"lun":2,"Extra":true}}`,
		prot.RequestTypeRemove, &prot.SCSIDevice{Lun: 2}},
	{"empty Settings object", `{"RequestType":"Remove","ResourceType":"CombinedLayers","Settings":{}}`,
		prot.RequestTypeRemove, &prot.LCOWCombinedLayers{}},
}

func TestUnmarshalContainerModifySettings(t *testing.T) {
	for _, tt := range modifyOK {
		t.Run(tt.name, func(t *testing.T) {
			m, err := prot.UnmarshalContainerModifySettings([]byte(modifyBody(tt.request)))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if m.ContainerID != prot.NullContainerID || m.ActivityID != "9a1c7a53-5f0e-4a55-8d38-6f2a7f5c1b20" {
				t.Fatalf("base %+v", m.MessageBase)
			}
			mr, ok := m.Request.(*prot.ModificationRequest)
			if !ok || mr != m.ModificationRequest() {
				t.Fatalf("Request is %T, want *prot.ModificationRequest", m.Request)
			}
			if mr.RequestType != tt.reqType {
				t.Errorf("RequestType %q, want %q", mr.RequestType, tt.reqType)
			}
			if !reflect.DeepEqual(mr.Settings, tt.want) {
				t.Errorf("Settings = %#v\nwant       %#v", mr.Settings, tt.want)
			}
			// Re-encoding keeps every key the host sent.
			enc, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			again, err := prot.UnmarshalContainerModifySettings(enc)
			if err != nil || !reflect.DeepEqual(again, m) {
				t.Errorf("re-decode of %s = %+v, %v", enc, again, err)
			}
		})
	}
}

// modifyBad are requests that must fail, with the HRESULT the reference uses.
var modifyBad = []struct {
	name string
	body string
	want prot.HResult
}{
	// Unknown and Windows-only resource types: "invalid ResourceType" → E_FAIL.
	{"NetworkNamespace", modifyBody(`{"RequestType":"Add","ResourceType":"NetworkNamespace","Settings":{"ID":"n1"}}`), prot.HrFail},
	{"HvSocket", modifyBody(`{"RequestType":"Update","ResourceType":"HvSocket","Settings":{}}`), prot.HrFail},
	{"MappedVirtualDiskForContainerScratch", modifyBody(`{"ResourceType":"MappedVirtualDiskForContainerScratch","Settings":{}}`), prot.HrFail},
	{"CWCOWCombinedLayers", modifyBody(`{"ResourceType":"CWCOWCombinedLayers","Settings":{}}`), prot.HrFail},
	{"unknown (capture s1_118)", modifyBody(`{"ResourceType":"Bogus","RequestType":"Add","Settings":{}}`), prot.HrFail},
	{"ResourceType is case-sensitive", modifyBody(`{"ResourceType":"scsidevice","Settings":{"Lun":1}}`), prot.HrFail},
	{"ResourceType missing", modifyBody(`{"RequestType":"Add","Settings":{}}`), prot.HrFail},
	{"unknown type checked before its Settings", modifyBody(`{"ResourceType":"Bogus","Settings":"not an object"}`), prot.HrFail},
	// Missing Request: the reference decodes an empty document → invalid JSON.
	{"Request missing (capture s1_120)", `{"ContainerId":"00000000-0000-0000-0000-000000000000","ActivityId":"a"}` + "\n", prot.HrVmcomputeInvalidJSON},
	{"Request null", modifyBody(`null`), prot.HrVmcomputeInvalidJSON},
	{"Request null with spaces", modifyBody(` null `), prot.HrVmcomputeInvalidJSON},
	{"Request is a string", modifyBody(`"{\"ResourceType\":\"SCSIDevice\"}"`), prot.HrVmcomputeInvalidJSON},
	{"Request is an array", modifyBody(`[]`), prot.HrVmcomputeInvalidJSON},
	{"RequestType not a string", modifyBody(`{"RequestType":1,"ResourceType":"SCSIDevice","Settings":{}}`), prot.HrVmcomputeInvalidJSON},
	{"ResourceType not a string", modifyBody(`{"ResourceType":{},"Settings":{}}`), prot.HrVmcomputeInvalidJSON},
	// Settings of the wrong JSON type for the resource → invalid JSON.
	{"Settings string", modifyBody(`{"ResourceType":"MappedVirtualDisk","Settings":"/run/mounts/m1"}`), prot.HrVmcomputeInvalidJSON},
	{"Settings array", modifyBody(`{"ResourceType":"CombinedLayers","Settings":[{"Path":"/l"}]}`), prot.HrVmcomputeInvalidJSON},
	{"Settings number", modifyBody(`{"ResourceType":"SCSIDevice","Settings":5}`), prot.HrVmcomputeInvalidJSON},
	{"Settings bool", modifyBody(`{"ResourceType":"ContainerConstraints","Settings":true}`), prot.HrVmcomputeInvalidJSON},
	{"Settings field wrong type", modifyBody(`{"ResourceType":"MappedDirectory","Settings":{"Port":"564"}}`), prot.HrVmcomputeInvalidJSON},
	{"Settings u8 overflow", modifyBody(`{"ResourceType":"SCSIDevice","Settings":{"Lun":256}}`), prot.HrVmcomputeInvalidJSON},
	{"Settings nested wrong type", modifyBody(`{"ResourceType":"Network","Settings":{"IPConfigs":{"IPAddress":"1.2.3.4"}}}`), prot.HrVmcomputeInvalidJSON},
	{"Settings OCI wrong type", modifyBody(`{"ResourceType":"ContainerConstraints","Settings":{"Linux":{"memory":{"limit":"1G"}}}}`), prot.HrVmcomputeInvalidJSON},
	// Broken bodies.
	{"malformed (capture s1_094)", `{"ContainerId": "abc", not json`, prot.HrVmcomputeInvalidJSON},
	{"empty body", ``, prot.HrVmcomputeInvalidJSON},
	{"body null", `null`, prot.HrVmcomputeInvalidJSON},
	{"body array", `[]`, prot.HrVmcomputeInvalidJSON},
	{"ContainerId number", `{"ContainerId":5,"Request":{"ResourceType":"SCSIDevice","Settings":{}}}`, prot.HrVmcomputeInvalidJSON},
}

func TestUnmarshalContainerModifySettingsErrors(t *testing.T) {
	for _, tt := range modifyBad {
		t.Run(tt.name, func(t *testing.T) {
			m, err := prot.UnmarshalContainerModifySettings([]byte(tt.body))
			if err == nil {
				t.Fatalf("decoded %+v, want error %s", m, tt.want)
			}
			if got := prot.HResultOf(err); got != tt.want {
				t.Fatalf("HResultOf(%v) = %s, want %s", err, got, tt.want)
			}
			if m != nil && m.ModificationRequest() != nil {
				t.Fatalf("failed decode returned a typed request: %+v", m.Request)
			}
		})
	}
}

// The seed's decoder hands the raw Settings of every known type to
// json.Unmarshal, so an absent or null Settings is an invalid-JSON error
// there ("unexpected end of JSON input"); prot instead yields the zero
// settings struct (reported as a deviation). Either outcome is accepted
// here, but nothing else is.
// Absent Settings fail to decode, as the reference's decode of an empty
// document does; null Settings decode to the zero settings; a type with no
// settings of its own needs none.
func TestUnmarshalContainerModifySettingsAbsentSettings(t *testing.T) {
	for _, tt := range []struct {
		name, request string
		zero          any // nil: must fail with invalid JSON
	}{
		{"absent", `{"RequestType":"Remove","ResourceType":"SCSIDevice"}`, nil},
		{"null", `{"RequestType":"Add","ResourceType":"MappedVirtualDisk","Settings":null}`, &prot.LCOWMappedVirtualDisk{}},
		{"none needed", `{"RequestType":"Update","ResourceType":"PodCgroupMemoryLimit"}`, &prot.PodCgroupMemoryLimit{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := prot.UnmarshalContainerModifySettings([]byte(modifyBody(tt.request)))
			if tt.zero == nil {
				if prot.HResultOf(err) != prot.HrVmcomputeInvalidJSON {
					t.Fatalf("HResultOf(%v) = %s, want invalid JSON", err, prot.HResultOf(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if mr := m.ModificationRequest(); mr == nil || !reflect.DeepEqual(mr.Settings, tt.zero) {
				t.Fatalf("Request = %#v, want zero %T", m.Request, tt.zero)
			}
		})
	}
}

// Every ModifySettings request in the captures decodes to the type its
// ResourceType names, except the ones the reference rejected while decoding.
func TestUnmarshalContainerModifySettingsCaptures(t *testing.T) {
	n := 0
	for _, c := range loadCaptures(t) {
		if c.RequestHeader == nil || c.RequestHeader.ident(t) != prot.ComputeSystemModifySettingsV1 || c.Request == nil {
			continue
		}
		n++
		var raw struct{ Request struct{ ResourceType string } }
		_ = json.Unmarshal(c.Request, &raw)
		m, err := prot.UnmarshalContainerModifySettings(c.requestBody(t))
		if malformed(c) {
			var resp prot.MessageResponseBase
			_ = json.Unmarshal(c.Response, &resp)
			if err == nil || prot.HResultOf(err) != prot.HResult(resp.Result) {
				t.Errorf("%s: err %v, reference Result %#x", c.File, err, uint32(resp.Result))
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.File, err)
			continue
		}
		typeName := strings.TrimPrefix(reflect.TypeOf(m.ModificationRequest().Settings).String(), "*prot.")
		if !strings.Contains(typeName, raw.Request.ResourceType) {
			t.Errorf("%s: ResourceType %s decoded as %s", c.File, raw.Request.ResourceType, typeName)
		}
	}
	if n != 18 {
		t.Fatalf("%d ModifySettings captures with a JSON request, want 18", n)
	}
}
