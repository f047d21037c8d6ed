package prot_test

// Shared helpers of the golden and fuzz tests: loading the recorded captures
// and decoding a message body into the prot types its header type selects.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// captureHeader is a header as the capture files record it.
type captureHeader struct {
	Type string `json:"type"`
	Size uint32 `json:"size"`
	ID   uint64 `json:"id"`
}

func (h *captureHeader) ident(t testing.TB) prot.MessageIdentifier {
	t.Helper()
	v, err := strconv.ParseUint(h.Type, 0, 32)
	if err != nil {
		t.Fatalf("bad capture header type %q: %v", h.Type, err)
	}
	return prot.MessageIdentifier(v)
}

// capture is one <session>_<nnn>_<name>.json file.
type capture struct {
	File               string
	Name               string          `json:"name"`
	Kind               string          `json:"kind"`
	RequestHeader      *captureHeader  `json:"request_header"`
	Request            json.RawMessage `json:"request"`
	RequestRaw         *string         `json:"request_raw"`
	ResponseHeader     *captureHeader  `json:"response_header"`
	Response           json.RawMessage `json:"response"`
	NotificationHeader *captureHeader  `json:"notification_header"`
	Notification       json.RawMessage `json:"notification"`
}

// requestBody returns the request body as sent: the raw text for the
// deliberately malformed ones, else the compact JSON plus the host's "\n".
func (c *capture) requestBody(t testing.TB) []byte {
	t.Helper()
	if c.RequestRaw != nil {
		return []byte(*c.RequestRaw)
	}
	return append(compact(t, c.Request), '\n')
}

func compact(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("compact: %v", err)
	}
	return b.Bytes()
}

// sharedCapturesDir walks up from the package directory looking for
// shared/spec/captures in every ancestor and in every ancestor's parent, so
// that it is found both in /work (main/ beside shared/) and in a CI clone.
func sharedCapturesDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		for _, base := range []string{dir, filepath.Dir(dir)} {
			p := filepath.Join(base, "shared", "spec", "captures")
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// capturesDir prefers the self-contained copy in testdata.
func capturesDir(t testing.TB) string {
	t.Helper()
	if st, err := os.Stat(filepath.Join("testdata", "captures")); err == nil && st.IsDir() {
		return filepath.Join("testdata", "captures")
	}
	if d := sharedCapturesDir(); d != "" {
		return d
	}
	t.Fatal("no captures: neither testdata/captures nor shared/spec/captures found")
	return ""
}

func loadCaptures(t testing.TB) []*capture {
	t.Helper()
	dir := capturesDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "s*_*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var out []*capture
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := &capture{File: filepath.Base(f)}
		if err := json.Unmarshal(b, c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, c)
	}
	if len(out) < 100 {
		t.Fatalf("only %d capture files in %s", len(out), dir)
	}
	return out
}

// doc is one JSON document of a message: the body, or a document carried
// double-encoded in one of its string fields.
type doc struct {
	name string
	raw  []byte
	val  any // pointer to the decoded prot value
}

// decodeRequest decodes a request body as the GCS must: into the body type
// its header type names, then every double-encoded inner document. An empty
// GetProperties Query means "no property types" and has no inner document.
func decodeRequest(typ prot.MessageIdentifier, body []byte) ([]doc, error) {
	one := func(v any) ([]doc, error) {
		if err := prot.UnmarshalJSON(body, v); err != nil {
			return nil, err
		}
		return []doc{{"body", body, v}}, nil
	}
	inner := func(docs []doc, name, s string, v any) ([]doc, error) {
		if err := prot.UnmarshalJSON([]byte(s), v); err != nil {
			return docs, fmt.Errorf("inner %s: %w", name, err)
		}
		return append(docs, doc{name, []byte(s), v}), nil
	}
	switch typ {
	case prot.ComputeSystemCreateV1:
		m := &prot.ContainerCreate{}
		docs, err := one(m)
		if err != nil {
			return nil, err
		}
		return inner(docs, "ContainerConfig", m.ContainerConfig, &prot.VMHostedContainerSettingsV2{})
	case prot.ComputeSystemExecuteProcessV1:
		m := &prot.ContainerExecuteProcess{}
		docs, err := one(m)
		if err != nil {
			return nil, err
		}
		return inner(docs, "ProcessParameters", m.Settings.ProcessParameters, &prot.ProcessParameters{})
	case prot.ComputeSystemWaitForProcessV1:
		return one(&prot.ContainerWaitForProcess{})
	case prot.ComputeSystemSignalProcessV1:
		return one(&prot.ContainerSignalProcess{})
	case prot.ComputeSystemResizeConsoleV1:
		return one(&prot.ContainerResizeConsole{})
	case prot.ComputeSystemGetPropertiesV1:
		m := &prot.ContainerGetProperties{}
		docs, err := one(m)
		if err != nil || m.Query == "" {
			return docs, err
		}
		return inner(docs, "Query", m.Query, &prot.PropertyQuery{})
	case prot.ComputeSystemModifySettingsV1:
		m, err := prot.UnmarshalContainerModifySettings(body)
		if err != nil {
			return nil, err
		}
		return []doc{{"body", body, m}}, nil
	case prot.ComputeSystemNegotiateProtocolV1:
		return one(&prot.NegotiateProtocol{})
	default:
		return one(&prot.MessageBase{})
	}
}

// decodeResponse decodes a response body by its header type. A failed
// response carries only the base keys (WIRE.md §2.2), so it is decoded as
// MessageResponseBase whatever its type.
func decodeResponse(typ prot.MessageIdentifier, body []byte) ([]doc, error) {
	var base prot.MessageResponseBase
	if err := prot.UnmarshalJSON(body, &base); err != nil {
		return nil, err
	}
	var v any = &base
	if base.Result == 0 {
		switch typ {
		case prot.ComputeSystemResponseNegotiateProtocolV1:
			v = &prot.NegotiateProtocolResponse{}
		case prot.ComputeSystemResponseCreateV1:
			v = &prot.ContainerCreateResponse{}
		case prot.ComputeSystemResponseExecuteProcessV1:
			v = &prot.ContainerExecuteProcessResponse{}
		case prot.ComputeSystemResponseWaitForProcessV1:
			v = &prot.ContainerWaitForProcessResponse{}
		case prot.ComputeSystemResponseGetPropertiesV1:
			v = &prot.ContainerGetPropertiesResponse{}
		case prot.ComputeSystemResponseDumpStacksV1:
			v = &prot.DumpStacksResponse{}
		}
		if err := prot.UnmarshalJSON(body, v); err != nil {
			return nil, err
		}
	}
	docs := []doc{{"body", body, v}}
	if gp, ok := v.(*prot.ContainerGetPropertiesResponse); ok {
		p := &prot.PropertiesV2{}
		if err := prot.UnmarshalJSON([]byte(gp.Properties), p); err != nil {
			return docs, fmt.Errorf("inner Properties: %w", err)
		}
		docs = append(docs, doc{"Properties", []byte(gp.Properties), p})
	}
	return docs, nil
}

// generic decodes JSON into map/slice/json.Number form for semantic comparison.
func generic(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("generic decode of %.200q: %v", b, err)
	}
	return v
}

// jsonDiff lists the paths at which a and b (generic JSON values) differ.
func jsonDiff(path string, a, b any) []string {
	if reflect.DeepEqual(a, b) {
		return nil
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		var out []string
		for k := range keys {
			av, ain := am[k]
			bv, bin := bm[k]
			switch {
			case !ain:
				out = append(out, fmt.Sprintf("%s.%s: added %s", path, k, short(bv)))
			case !bin:
				out = append(out, fmt.Sprintf("%s.%s: dropped (was %s)", path, k, short(av)))
			default:
				out = append(out, jsonDiff(path+"."+k, av, bv)...)
			}
		}
		sort.Strings(out)
		return out
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		var out []string
		for i := range as {
			out = append(out, jsonDiff(fmt.Sprintf("%s[%d]", path, i), as[i], bs[i])...)
		}
		return out
	}
	return []string{fmt.Sprintf("%s: %s != %s", path, short(a), short(b))}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// containsAny reports whether s contains any of subs.
func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
