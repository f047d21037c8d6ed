package prot_test

// Golden tests against the exchanges recorded from the reference GCS
// (testdata/captures, a verbatim copy of shared/spec/captures).

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// malformed reports whether a capture is a deliberately broken request.
func malformed(c *capture) bool {
	return containsAny(c.Name, "bad_malformed_json", "bad_empty_body", "bad_wrong_field_type",
		"bad_modify_request_missing", "bad_modify_invalid_resource_type") ||
		strings.HasSuffix(c.Name, "_not_json")
}

// expectedDiffs lists the only differences a round trip may show, keyed by
// "<doc>/<request kind>" or "<capture file>/<doc>". Every one is json.Marshal
// adding a key the host left out because the prot field (like the
// reference's) has no omitempty or is a struct, which omitempty never drops;
// or a key no prot type declares. Nothing the host sent as zero is dropped.
var expectedDiffs = map[string][]string{
	// ContainerCreate.SupportedVersions is a struct (seed layout), always emitted.
	"body/CreateV1": {`.SupportedVersions: added {"MaximumProtocolVersion":0,"MinimumProtocolVersion":0}`},
	// runtime-spec's Windows.LayerFolders has no omitempty; the host sends a
	// windows section with only the network namespace (removed before runc).
	"ContainerConfig/CreateV1": {`.OciSpecification.windows.layerFolders: added null`},
	// LCOWContainerConstraints.Windows is a struct, always emitted.
	"body/ModifySettingsV1": {`.Request.Settings.Windows: added {}`},
	// The host omits Options for "kill" and sends {} for signal 0 (WIRE.md §4.6).
	"body/SignalProcessV1": {`.Options: added {"Signal":0}`, `.Options.Signal: added 0`},
	// A UVM-style Create probe: its config is not a VMHostedContainerSettingsV2
	// (the reference rejects it as schema 0.0), so nothing but defaults remain.
	"s1_004_probe_uvm_create_not_requested_by_caps.json/ContainerConfig": {
		`.SchemaVersion: added {}`, `.ScratchDirPath: added ""`, `.SystemType: dropped (was "Container")`},
	// An unknown type is decoded as MessageBase only, as the reference does.
	"s1_087_bad_type_version_byte_2_getproperties_0x10100902.json/body": {
		`.Query: dropped (was "{\"PropertyTypes\":[\"ProcessList\"]}")`},
}

// checkRoundTrip re-encodes d.val and compares it with the JSON it was
// decoded from, semantically (key order and escaping aside).
func checkRoundTrip(t *testing.T, keys []string, d doc) {
	t.Helper()
	enc, err := json.Marshal(d.val)
	if err != nil {
		t.Fatalf("%s: marshal: %v", d.name, err)
	}
	for _, diff := range jsonDiff("", generic(t, d.raw), generic(t, enc)) {
		if !expected(keys, diff) {
			t.Errorf("%s: round trip differs at %s\n sent:       %.300s\n re-encoded: %.300s", d.name, diff, d.raw, enc)
		}
	}
}

func expected(keys []string, diff string) bool {
	for _, k := range keys {
		for _, e := range expectedDiffs[k] {
			if e == diff {
				return true
			}
		}
	}
	return false
}

func requestKind(typ prot.MessageIdentifier) string {
	return strings.TrimPrefix(typ.String(), "ComputeSystem")
}

func TestCapturesInSyncWithShared(t *testing.T) {
	shared := sharedCapturesDir()
	if shared == "" {
		t.Skip("shared/spec/captures not found beside the module; testdata copy is authoritative")
	}
	files, _ := filepath.Glob(filepath.Join(shared, "*"))
	if len(files) == 0 {
		t.Fatalf("empty %s", shared)
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("testdata", "captures", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testdata/captures/%s is missing or differs from %s (err %v); re-copy it", filepath.Base(f), f, err)
		}
	}
}

func TestGoldenRequests(t *testing.T) {
	n := 0
	for _, c := range loadCaptures(t) {
		if c.RequestHeader == nil || c.Request == nil || malformed(c) {
			continue
		}
		n++
		t.Run(c.File, func(t *testing.T) {
			typ := c.RequestHeader.ident(t)
			docs, err := decodeRequest(typ, c.requestBody(t))
			if err != nil {
				t.Fatalf("decode %s: %v", typ, err)
			}
			for _, d := range docs {
				checkRoundTrip(t, []string{d.name + "/" + requestKind(typ), c.File + "/" + d.name}, d)
			}
			if typ == prot.ComputeSystemModifySettingsV1 {
				mr := docs[0].val.(*prot.ContainerModifySettings).ModificationRequest()
				if mr == nil || mr.Settings == nil {
					t.Fatalf("ModifySettings decoded without typed request: %+v", docs[0].val)
				}
			}
		})
	}
	if n < 90 {
		t.Fatalf("only %d requests checked", n)
	}
}

func TestGoldenMalformedRequests(t *testing.T) {
	n := 0
	for _, c := range loadCaptures(t) {
		if c.RequestHeader == nil || !malformed(c) {
			continue
		}
		n++
		t.Run(c.File, func(t *testing.T) {
			var resp prot.MessageResponseBase
			if err := json.Unmarshal(c.Response, &resp); err != nil {
				t.Fatal(err)
			}
			typ := c.RequestHeader.ident(t)
			_, err := decodeRequest(typ, c.requestBody(t))
			if err == nil {
				t.Fatalf("decoding %s body %.80q succeeded", typ, c.requestBody(t))
			}
			want := prot.HResult(resp.Result)
			if typ == prot.ComputeSystemDumpStacksV1 {
				// The reference never decodes a DumpStacks body, so it answers
				// success; the decode itself still fails as invalid JSON.
				if want != prot.HrOK {
					t.Fatalf("DumpStacks Result %s, want success", want)
				}
				want = prot.HrVmcomputeInvalidJSON
			}
			if got := prot.HResultOf(err); got != want {
				t.Fatalf("HResultOf(%v) = %s, capture Result %s", err, got, want)
			}
		})
	}
	if n != 15 {
		t.Fatalf("%d malformed captures, want 15", n)
	}
}

func TestGoldenResponses(t *testing.T) {
	n := 0
	for _, c := range loadCaptures(t) {
		if c.ResponseHeader == nil || c.Response == nil {
			continue
		}
		n++
		t.Run(c.File, func(t *testing.T) {
			reqTyp, typ := c.RequestHeader.ident(t), c.ResponseHeader.ident(t)
			if got := prot.ResponseIdentifier(reqTyp); got != typ {
				t.Errorf("ResponseIdentifier(%#x) = %#x, capture %#x", uint32(reqTyp), uint32(got), uint32(typ))
			}
			if c.ResponseHeader.ID != c.RequestHeader.ID {
				t.Errorf("response id %d for request id %d", c.ResponseHeader.ID, c.RequestHeader.ID)
			}
			body := compact(t, c.Response)
			docs, err := decodeResponse(typ, body)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			for _, d := range docs {
				checkRoundTrip(t, []string{c.File + "/" + d.name}, d)
			}
			base := docs[0].val.(prot.Response).Base()
			if base.Result != 0 {
				return
			}
			if len(docs) > 1 { // GetProperties: Properties is Go-encoded PropertiesV2
				enc, _ := json.Marshal(docs[1].val)
				if !bytes.Equal(enc, docs[1].raw) {
					t.Errorf("Properties not byte-identical:\n got  %s\n want %s", enc, docs[1].raw)
				}
			}
			if np, ok := docs[0].val.(*prot.NegotiateProtocolResponse); ok {
				if np.Version != uint32(prot.PvV4) || !jsonEqual(t, np.Capabilities, prot.LinuxCapabilities()) {
					t.Errorf("negotiate response %+v differs from LinuxCapabilities", np)
				}
			}
			enc, err := json.Marshal(docs[0].val)
			if err != nil {
				t.Fatal(err)
			}
			msg := prot.AppendMessage(nil, typ, prot.SequenceID(c.ResponseHeader.ID), enc)
			h, err := prot.DecodeHeader(msg)
			if err != nil {
				t.Fatal(err)
			}
			want := int(c.ResponseHeader.Size)
			if ds, ok := docs[0].val.(*prot.DumpStacksResponse); ok {
				want -= stackPathRewrite(ds.GuestStacks)
			}
			if int(h.Size) != want || uint32(len(msg)) != h.Size || h.Type != typ || uint64(h.ID) != c.ResponseHeader.ID {
				t.Errorf("AppendMessage header %+v (len %d), capture size %d (%d before path rewriting)",
					h, len(msg), want, c.ResponseHeader.Size)
			}
		})
	}
	if n < 100 {
		t.Fatalf("only %d responses checked", n)
	}
}

// stackPathRewrite is how many bytes the capture's path rewriting removed
// from a stack dump (captures/README.md: "build paths as module paths"); the
// header Size was recorded before it. Solving the four DumpStacks captures
// (and s1_000's StackTrace) gives one consistent answer: every file-path line
// lost a 19-byte hcsshim checkout prefix for the 28-byte module path and a
// 13-byte GOROOT (/usr/local/go) for "GOROOT".
func stackPathRewrite(stacks string) int {
	nMod := strings.Count(stacks, "\n\tgithub.com/Microsoft/hcsshim/")
	nRoot := strings.Count(stacks, "\n\tGOROOT/")
	return 7*nRoot - 9*nMod
}

func jsonEqual(t *testing.T, a, b any) bool {
	ab, err1 := json.Marshal(a)
	bb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ab, bb)
}

func TestGoldenNotifications(t *testing.T) {
	n := 0
	for _, c := range loadCaptures(t) {
		if c.NotificationHeader == nil {
			continue
		}
		n++
		t.Run(c.File, func(t *testing.T) {
			h := c.NotificationHeader
			if h.ident(t) != prot.ComputeSystemNotificationV1 || h.ID != 0 {
				t.Errorf("notification header %+v", h)
			}
			body := compact(t, c.Notification)
			var m prot.ContainerNotification
			if err := prot.UnmarshalJSON(body, &m); err != nil {
				t.Fatal(err)
			}
			checkRoundTrip(t, nil, doc{"notification", body, &m})
			enc, _ := json.Marshal(&m)
			if got := len(prot.AppendMessage(nil, prot.ComputeSystemNotificationV1, 0, enc)); got != int(h.Size) {
				t.Errorf("notification size %d, capture %d", got, h.Size)
			}
			if m.Operation != prot.AoNone || m.Result != 0 || m.ResultInfo != "" {
				t.Errorf("notification %+v", m)
			}
		})
	}
	if n != 5 {
		t.Fatalf("%d notifications, want 5", n)
	}
}

// The capture with Size=8 wedged the reference; ReadMessage must refuse it.
func TestGoldenShortHeader(t *testing.T) {
	for _, c := range loadCaptures(t) {
		if c.RequestHeader == nil || c.RequestHeader.Size >= prot.MessageHeaderSize {
			continue
		}
		t.Run(c.File, func(t *testing.T) {
			var hb [prot.MessageHeaderSize]byte
			prot.MessageHeader{Type: c.RequestHeader.ident(t), Size: c.RequestHeader.Size,
				ID: prot.SequenceID(c.RequestHeader.ID)}.Encode(hb[:])
			_, _, err := prot.ReadMessage(bytes.NewReader(hb[:]), 1<<20)
			var fe *prot.FramingError
			if !errors.As(err, &fe) || fe.Header.Size != c.RequestHeader.Size {
				t.Fatalf("ReadMessage = %v, want *FramingError", err)
			}
		})
	}
}

func TestLinuxCapabilitiesWireBytes(t *testing.T) {
	// WIRE.md §4.1, the Capabilities object of the exact reference response.
	const want = `{"SupportedSchemaVersions":[{"Major":2,"Minor":1}],"RuntimeOsType":"Linux","GuestDefinedCapabilities":{"NamespaceAddRequestSupported":true,"SignalProcessSupported":true,"DumpStacksSupported":true,"DeleteContainerStateSupported":true}}`
	got, err := json.Marshal(prot.LinuxCapabilities())
	if err != nil || string(got) != want {
		t.Fatalf("LinuxCapabilities() = %s (%v)\nwant %s", got, err, want)
	}
	const full = `{"Result":0,"ActivityId":"00000000-0000-0000-0000-000000000000","Version":4,"Capabilities":` + want + `}`
	resp := prot.NegotiateProtocolResponse{
		MessageResponseBase: prot.MessageResponseBase{ActivityID: prot.NullContainerID},
		Version:             uint32(prot.PvV4),
		Capabilities:        prot.LinuxCapabilities(),
	}
	if got, _ := json.Marshal(&resp); string(got) != full {
		t.Fatalf("negotiate response = %s\nwant %s", got, full)
	}
}

func TestErrorResponseWireBytes(t *testing.T) {
	// WIRE.md §2.2 example failed response (unknown container).
	const want = `{"Result":-1070137074,"ActivityId":"00000000-0000-0000-0000-000000000000","ErrorMessage":"HRESULT: 0xc037010e","ErrorRecords":[{"Result":-1070137074,"Message":"HRESULT: 0xc037010e","ModuleName":"gcs","FileName":"","Line":4294967295}]}`
	got, err := json.Marshal(prot.ErrorResponse(prot.NullContainerID, prot.NewError(prot.HrVmcomputeSystemNotFound)))
	if err != nil || string(got) != want {
		t.Fatalf("ErrorResponse = %s (%v)\nwant %s", got, err, want)
	}
	// An error without an HRESULT is reported as E_FAIL, never as success.
	r := prot.ErrorResponse("", errors.New("boom"))
	if r.Result != int32(prot.HrFail) || r.ErrorRecords[0].Result != r.Result || r.ErrorMessage != "boom" {
		t.Fatalf("ErrorResponse(plain) = %+v", r)
	}
	if b, _ := json.Marshal(r); bytes.Contains(b, []byte("ActivityId")) {
		t.Fatalf("empty ActivityId must be omitted: %s", b)
	}
}
