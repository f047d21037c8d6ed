package bridge

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// TestRequestBaseIsUnmarshal checks that Request.Base, decoded once by the
// bridge before dispatch, is what a handler's own json.Unmarshal into a
// bare prot.MessageBase gives, success or failure, so that a handler may
// use it instead of decoding the body again.
func TestRequestBaseIsUnmarshal(t *testing.T) {
	bodies := []struct{ name, body string }{
		{"ids", `{"ContainerId":"c1",` + act + `}`},
		{"case-insensitive keys, last wins", `{"containerid":"a","ContainerId":"b","ACTIVITYID":"x"}`},
		{"escapes", `{"ContainerId":"c\u00e9\n\"q\""}`},
		{"trace contexts", `{"ContainerId":"c","ocsc":{"TraceId":"t","SpanId":"s"},"otsc":{"traceparent":"p"}}`},
		{"other fields", `{"ContainerId":"c","ProcessId":7,"Settings":{"a":[1,2]}}`},
		{"null", `null`},
		{"empty object", `{}`},
		{"wrong type", `{"ContainerId":5,` + act + `}`},
		{"not json", `not json`},
		{"truncated", `{"ContainerId":"c"`},
		{"array", `[1,2]`},
	}
	type seen struct {
		base prot.MessageBase
		ok   bool
	}
	got := make(chan seen, 1)
	m := testMux()
	m.HandleFunc(prot.ComputeSystemStartV1, prot.PvV4, func(_ context.Context, r *Request) (prot.Response, error) {
		b, ok := r.Base()
		got <- seen{b, ok}
		return &prot.MessageResponseBase{}, nil
	})
	p := connect(t, NewServer(Options{Handler: m, Log: quietLog()}))
	p.negotiate()
	for i, tc := range bodies {
		t.Run(tc.name, func(t *testing.T) {
			p.call(prot.ComputeSystemStartV1, prot.SequenceID(i+1), tc.body)
			s := <-got
			var want prot.MessageBase
			err := json.Unmarshal([]byte(tc.body), &want)
			if s.ok != (err == nil) {
				t.Fatalf("Base decoded %v, json.Unmarshal error %v", s.ok, err)
			}
			if s.ok && !reflect.DeepEqual(s.base, want) {
				t.Errorf("Base %+v, json.Unmarshal %+v", s.base, want)
			}
		})
	}
}

// TestDecodeBaseIsUnmarshal checks decodeBase against json.Unmarshal on
// bodies at the edges of the hand-scanned shape, and that the shapes real
// requests have take the scan rather than json.Unmarshal.
func TestDecodeBaseIsUnmarshal(t *testing.T) {
	tests := []struct {
		name, body string
		scanned    bool // decoded by scanBase
	}{
		{"start", string(benchStartBody), true},
		{"empty object", `{}`, true},
		{"spaces", " \t\r\n{ \"ContainerId\" : \"c\" , \"ActivityId\":\"a\" } \n", true},
		{"last wins, any case", `{"containerid":"a","ContainerId":"b","ACTIVITYID":"x","activityId":"y"}`, true},
		{"other scalars", `{"ProcessId":7,"Neg":-0.5e+3,"T":true,"F":false,"N":null,"S":"x\"\\\/\b\f\n\r\t\u00e9","ContainerId":"c"}`, true},
		{"utf-8 id", `{"ContainerId":"café"}`, true},
		{"invalid utf-8 id", "{\"ContainerId\":\"caf\xe9\"}", false},
		{"invalid utf-8 elsewhere", "{\"Other\":\"caf\xe9\",\"ContainerId\":\"c\"}", true},
		{"escaped id", `{"ContainerId":"c\u00e9\n"}`, false},
		{"null id", `{"ContainerId":null}`, false},
		{"number id", `{"ContainerId":5}`, false},
		{"trace contexts", `{"ContainerId":"c","ocsc":{"TraceId":"t"},"OTSC":{"traceparent":"p"}}`, false},
		{"nested", `{"ContainerId":"c","Settings":{"a":[1,2]}}`, false},
		{"non-ASCII key", `{"Contaİnerid":"c"}`, false},
		{"kelvin key", "{\"ActivityId\":\"a\",\"\u212a\":\"k\"}", false},
		{"escaped key", `{"Container\u0049d":"c"}`, false},
		{"null", `null`, false},
		{"empty", ``, false},
		{"not json", `not json`, false},
		{"truncated", `{"ContainerId":"c"`, false},
		{"trailing comma", `{"ContainerId":"c",}`, false},
		{"trailing garbage", `{"ContainerId":"c"}x`, false},
		{"two objects", `{}{}`, false},
		{"leading zero", `{"N":01}`, false},
		{"bare dot", `{"N":1.}`, false},
		{"bad exponent", `{"N":1e}`, false},
		{"bad escape", `{"S":"\x"}`, false},
		{"short unicode escape", `{"S":"\u12"}`, false},
		{"control character", "{\"S\":\"a\tb\"}", false},
		{"bad literal", `{"T":tru}`, false},
		{"array", `[1,2]`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkDecodeBase(t, []byte(tc.body))
			if _, ok := scanBase([]byte(tc.body)); ok != tc.scanned {
				t.Errorf("scanned %v, want %v", ok, tc.scanned)
			}
		})
	}
}

// FuzzDecodeBase checks decodeBase against json.Unmarshal on any body.
func FuzzDecodeBase(f *testing.F) {
	for _, s := range []string{string(benchStartBody), `{}`, `{"containerid":"a","N":-1.5e3,"T":true}`,
		`{"ContainerId":"c\u00e9"}`, `{"S":"\"","ActivityId":"x"}`, "{\"ContainerId\":\"caf\xe9\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkDecodeBase(t, body) })
}

func checkDecodeBase(t *testing.T, body []byte) {
	t.Helper()
	var want prot.MessageBase
	err := json.Unmarshal(body, &want)
	got, ok := decodeBase(body)
	if ok != (err == nil) {
		t.Fatalf("decodeBase(%q) ok %v, json.Unmarshal error %v", body, ok, err)
	}
	if ok && !reflect.DeepEqual(got, want) {
		t.Errorf("decodeBase(%q) = %+v, json.Unmarshal %+v", body, got, want)
	}
}
