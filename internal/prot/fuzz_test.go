package prot_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

const fuzzMaxMessage = 1 << 20

// decodeFailureOK reports whether err carries an HRESULT a decode may yield.
func decodeFailureOK(err error) bool {
	hr := prot.HResultOf(err)
	return hr == prot.HrVmcomputeInvalidJSON || hr == prot.HrFail
}

func FuzzDecodeMessage(f *testing.F) {
	for _, c := range loadCaptures(f) {
		if c.RequestHeader == nil || (c.Request == nil && c.RequestRaw == nil) {
			continue
		}
		body := c.requestBody(f)
		f.Add(prot.AppendMessage(nil, c.RequestHeader.ident(f), prot.SequenceID(c.RequestHeader.ID), body))
		if c.ResponseHeader != nil && c.Response != nil {
			f.Add(prot.AppendMessage(nil, c.ResponseHeader.ident(f), 1, compact(f, c.Response)))
		}
		if c.NotificationHeader != nil {
			f.Add(prot.AppendMessage(nil, prot.ComputeSystemNotificationV1, 0, compact(f, c.Notification)))
		}
	}
	for _, tt := range modifyOK {
		f.Add(prot.AppendMessage(nil, prot.ComputeSystemModifySettingsV1, 9, []byte(modifyBody(tt.request))))
	}
	f.Add(rawHeader(8))
	f.Add(rawHeader(0xffffffff))
	f.Add(append(rawHeader(40), "{}"...))

	f.Fuzz(func(t *testing.T, data []byte) {
		h, body, err := prot.ReadMessage(bytes.NewReader(data), fuzzMaxMessage)
		if err != nil {
			var fe *prot.FramingError
			switch {
			case errors.As(err, &fe):
				if fe.Header.Size >= prot.MessageHeaderSize && fe.Header.Size <= fuzzMaxMessage {
					t.Fatalf("FramingError for acceptable size %d", fe.Header.Size)
				}
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				if len(data) >= prot.MessageHeaderSize && int(h.Size) <= len(data) {
					t.Fatalf("short-read error %v for a complete message", err)
				}
			default:
				t.Fatalf("unexpected ReadMessage error %v", err)
			}
			return
		}
		if h.Size < prot.MessageHeaderSize || h.Size > fuzzMaxMessage || len(body) != int(h.Size)-prot.MessageHeaderSize {
			t.Fatalf("header %+v with %d-byte body", h, len(body))
		}
		if !bytes.Equal(body, data[prot.MessageHeaderSize:h.Size]) {
			t.Fatal("body is not the bytes after the header")
		}
		checkDecode(t, "request", func() ([]doc, error) { return decodeRequest(h.Type, body) })
		switch h.Type.Type() {
		case prot.MtResponse:
			checkDecode(t, "response", func() ([]doc, error) { return decodeResponse(h.Type, body) })
		case prot.MtNotification:
			checkDecode(t, "notification", func() ([]doc, error) {
				var n prot.ContainerNotification
				err := prot.UnmarshalJSON(body, &n)
				return []doc{{"body", body, &n}}, err
			})
		}
		if h.Type == prot.ComputeSystemModifySettingsV1 {
			checkModify(t, body)
		}
	})
}

// checkDecode runs a decode that must not panic, fails only with a decode
// HRESULT, and whose documents re-encode to JSON that decodes again.
func checkDecode(t *testing.T, what string, decode func() ([]doc, error)) {
	t.Helper()
	docs, err := decode()
	if err != nil {
		if !decodeFailureOK(err) {
			t.Fatalf("%s decode error %v has HRESULT %s", what, err, prot.HResultOf(err))
		}
		return
	}
	for _, d := range docs {
		if !json.Valid(d.raw) {
			t.Fatalf("%s %s decoded from invalid JSON %q", what, d.name, d.raw)
		}
		enc, err := json.Marshal(d.val)
		if err != nil {
			t.Fatalf("%s %s: re-encode: %v", what, d.name, err)
		}
		again := reflect.New(reflect.TypeOf(d.val).Elem()).Interface()
		if _, ok := d.val.(*prot.ContainerModifySettings); ok {
			_, err = prot.UnmarshalContainerModifySettings(enc)
		} else {
			err = json.Unmarshal(enc, again)
		}
		if err != nil {
			t.Fatalf("%s %s: re-encoded %s does not decode: %v", what, d.name, enc, err)
		}
	}
}

// settingsTypes is what each ResourceType must decode into.
var settingsTypes = map[prot.ResourceType]reflect.Type{
	prot.ResourceTypeSCSIDevice:           reflect.TypeFor[*prot.SCSIDevice](),
	prot.ResourceTypeMappedVirtualDisk:    reflect.TypeFor[*prot.LCOWMappedVirtualDisk](),
	prot.ResourceTypeMappedDirectory:      reflect.TypeFor[*prot.LCOWMappedDirectory](),
	prot.ResourceTypeVPMemDevice:          reflect.TypeFor[*prot.LCOWMappedVPMemDevice](),
	prot.ResourceTypeCombinedLayers:       reflect.TypeFor[*prot.LCOWCombinedLayers](),
	prot.ResourceTypeNetwork:              reflect.TypeFor[*prot.LCOWNetworkAdapter](),
	prot.ResourceTypeVPCIDevice:           reflect.TypeFor[*prot.LCOWMappedVPCIDevice](),
	prot.ResourceTypeContainerConstraints: reflect.TypeFor[*prot.LCOWContainerConstraints](),
	prot.ResourceTypeSecurityPolicy:       reflect.TypeFor[*prot.LCOWConfidentialOptions](),
	prot.ResourceTypePolicyFragment:       reflect.TypeFor[*prot.LCOWSecurityPolicyFragment](),
	prot.ResourceTypePodCgroupMemoryLimit: reflect.TypeFor[*prot.PodCgroupMemoryLimit](),
}

// checkModify asserts the invariants of UnmarshalContainerModifySettings.
func checkModify(t *testing.T, body []byte) {
	t.Helper()
	m, err := prot.UnmarshalContainerModifySettings(body)
	if err != nil {
		hr := prot.HResultOf(err)
		if hr != prot.HrFail && hr != prot.HrVmcomputeInvalidJSON {
			t.Fatalf("error %v has HRESULT %s", err, hr)
		}
		if m != nil && m.ModificationRequest() != nil {
			t.Fatalf("error %v with a typed request %+v", err, m.Request)
		}
		if hr == prot.HrFail {
			// Only an unrecognised ResourceType is E_FAIL, and only once
			// the body and Request object decoded.
			var raw struct {
				Request struct{ ResourceType prot.ResourceType }
			}
			if m == nil || json.Unmarshal(body, &raw) != nil {
				t.Fatalf("E_FAIL (%v) for a body that does not decode", err)
			}
			if _, known := settingsTypes[raw.Request.ResourceType]; known {
				t.Fatalf("E_FAIL (%v) for known ResourceType %q", err, raw.Request.ResourceType)
			}
		}
		return
	}
	if !json.Valid(body) {
		t.Fatalf("accepted invalid JSON %q", body)
	}
	mr, ok := m.Request.(*prot.ModificationRequest)
	if !ok || mr == nil {
		t.Fatalf("Request is %T", m.Request)
	}
	if mr.RequestType == "" || mr.Settings == nil || reflect.ValueOf(mr.Settings).IsNil() {
		t.Fatalf("incomplete request %+v", mr)
	}
	if want := settingsTypes[mr.ResourceType]; reflect.TypeOf(mr.Settings) != want {
		t.Fatalf("ResourceType %q decoded into %T, want %v", mr.ResourceType, mr.Settings, want)
	}
}

func FuzzUnmarshalContainerModifySettings(f *testing.F) {
	for _, c := range loadCaptures(f) {
		if c.RequestHeader != nil && c.RequestHeader.ident(f) == prot.ComputeSystemModifySettingsV1 {
			f.Add(c.requestBody(f))
		}
	}
	for _, tt := range modifyOK {
		f.Add([]byte(modifyBody(tt.request)))
	}
	for _, tt := range modifyBad {
		f.Add([]byte(tt.body))
	}
	f.Add([]byte(modifyBody(`{"ResourceType":"SCSIDevice","Settings":null}`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkModify(t, body)
		checkDecode(t, "modify", func() ([]doc, error) {
			return decodeRequest(prot.ComputeSystemModifySettingsV1, body)
		})
	})
}
