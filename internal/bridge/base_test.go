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
