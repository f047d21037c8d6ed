package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/linux-gcs/gcs/internal/prot"
)

const act = `"ActivityId":"5a1b2c3d-0000-4000-8000-000000000001"`

func TestNegotiationStates(t *testing.T) {
	srv := NewServer(Options{Handler: testMux(), Log: quietLog()})
	p := connect(t, srv)
	steps := []struct {
		name string
		typ  prot.MessageIdentifier
		body string
		want prot.HResult
	}{
		{"dumpstacks before negotiation", prot.ComputeSystemDumpStacksV1, `{` + act + `}`, prot.HrNotImpl},
		{"create before negotiation", prot.ComputeSystemCreateV1, `{` + act + `}`, prot.HrNotImpl},
		{"malformed negotiate", prot.ComputeSystemNegotiateProtocolV1, `{"MinimumVersion":`, prot.HrVmcomputeInvalidJSON},
		{"v3 only", prot.ComputeSystemNegotiateProtocolV1, `{` + act + `,"MinimumVersion":3,"MaximumVersion":3}`, prot.HrVmcomputeUnsupportedProt},
		{"v5 and up", prot.ComputeSystemNegotiateProtocolV1, `{` + act + `,"MinimumVersion":5,"MaximumVersion":9}`, prot.HrVmcomputeUnsupportedProt},
		{"negotiate", prot.ComputeSystemNegotiateProtocolV1, `{` + act + `,"MinimumVersion":1,"MaximumVersion":7}`, prot.HrOK},
		{"second negotiate", prot.ComputeSystemNegotiateProtocolV1, `{` + act + `,"MinimumVersion":4,"MaximumVersion":4}`, prot.HrNotImpl},
		{"dumpstacks", prot.ComputeSystemDumpStacksV1, `{` + act + `}`, prot.HrOK},
		{"dumpstacks with garbage body", prot.ComputeSystemDumpStacksV1, `not json`, prot.HrOK},
		{"unhandled create", prot.ComputeSystemCreateV1, `{` + act + `}`, prot.HrNotImpl},
		{"UpdateContainer", prot.ComputeSystemUpdateContainerV1, `{}`, prot.HrNotImpl},
		{"garbage type", 0x10abc001, `{}`, prot.HrNotImpl},
		{"version byte 2", 0x10100902, `{}`, prot.HrNotImpl},
		{"a response sent to the guest", prot.ComputeSystemResponseDumpStacksV1, `{}`, prot.HrNotImpl},
		{"a notification sent to the guest", prot.ComputeSystemNotificationV1, `{}`, prot.HrNotImpl},
		{"type zero", 0, `{}`, prot.HrNotImpl},
	}
	for i, st := range steps {
		base, raw := p.call(st.typ, prot.SequenceID(i), st.body)
		if prot.HResult(base.Result) != st.want {
			t.Errorf("%s: Result %s, want %s (%s)", st.name, prot.HResult(base.Result), st.want, raw)
		}
		if st.want != prot.HrOK {
			if len(base.ErrorRecords) != 1 || base.ErrorRecords[0].ModuleName != "gcs" || base.ErrorRecords[0].Result != base.Result {
				t.Errorf("%s: error records %+v", st.name, base.ErrorRecords)
			}
		}
		if strings.Contains(st.body, act) && base.ActivityID != "5a1b2c3d-0000-4000-8000-000000000001" {
			t.Errorf("%s: ActivityId %q not echoed", st.name, base.ActivityID)
		}
	}
}

func TestNegotiateReplyMatchesReference(t *testing.T) {
	srv := NewServer(Options{Handler: testMux(), Log: quietLog()})
	p := connect(t, srv)
	_, raw := p.call(prot.ComputeSystemNegotiateProtocolV1, 7,
		`{"ContainerId":"","ActivityId":"00000000-0000-0000-0000-000000000000","MinimumVersion":4,"MaximumVersion":4}`+"\n")
	const want = `{"Result":0,"ActivityId":"00000000-0000-0000-0000-000000000000","Version":4,"Capabilities":{"SupportedSchemaVersions":[{"Major":2,"Minor":1}],"RuntimeOsType":"Linux","GuestDefinedCapabilities":{"NamespaceAddRequestSupported":true,"SignalProcessSupported":true,"DumpStacksSupported":true,"DeleteContainerStateSupported":true}}}`
	if string(raw) != want {
		t.Fatalf("reply\n%s\nwant\n%s", raw, want)
	}
}

func TestFramingErrorsDropTheConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		size uint32
	}{
		{"size below header", 8},
		{"size zero", 0},
		{"size above limit", 1<<20 + 1},
		{"size 4 GiB", 0xffffffff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := NewServer(Options{Handler: testMux(), Log: quietLog(), MaxMessageSize: 1 << 20})
			p := connect(t, srv)
			p.negotiate()
			p.sendHeader(prot.MessageHeader{Type: prot.ComputeSystemDumpStacksV1, Size: tc.size, ID: 1})
			var fe *prot.FramingError
			if err := p.waitServeEnd(); !errors.As(err, &fe) {
				t.Fatalf("ServeConn returned %v, want a framing error", err)
			}
			// The peer sees the connection closed, not a reply.
			p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, _, err := prot.ReadMessage(p.conn, prot.MaxOutboundMessageSize); err == nil {
				t.Fatal("got a message after a framing error")
			}
			// The server takes a fresh connection, un-negotiated.
			q := connect(t, srv)
			if base, _ := q.call(prot.ComputeSystemDumpStacksV1, 1, `{}`); prot.HResult(base.Result) != prot.HrNotImpl {
				t.Fatalf("new connection not reset to un-negotiated: %d", base.Result)
			}
			q.negotiate()
		})
	}
}

func TestPeerCloseEndsServeConnWithEOF(t *testing.T) {
	srv := NewServer(Options{Handler: testMux(), Log: quietLog()})
	p := connect(t, srv)
	p.negotiate()
	p.conn.Close()
	if err := p.waitServeEnd(); err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("ServeConn returned %v, want EOF", err)
	}
}

func TestHandlerFaults(t *testing.T) {
	m := testMux()
	m.Handle(prot.ComputeSystemCreateV1, prot.PvV4, HandlerFunc(func(context.Context, ResponseWriter, *Request) {
		var m map[string]int
		m["boom"]++ // nil map write: panics
	}))
	m.Handle(prot.ComputeSystemStartV1, prot.PvV4, HandlerFunc(func(context.Context, ResponseWriter, *Request) {}))
	m.Handle(prot.ComputeSystemGetPropertiesV1, prot.PvV4, Func(func(context.Context, *Request) (prot.Response, error) {
		return &prot.ContainerGetPropertiesResponse{Properties: strings.Repeat("x", 70000)}, nil
	}))
	m.Handle(prot.ComputeSystemSignalProcessV1, prot.PvV4, HandlerFunc(func(_ context.Context, w ResponseWriter, _ *Request) {
		w.Respond(&prot.MessageResponseBase{})
		w.Error(errors.New("second reply must be dropped"))
	}))
	m.Handle(prot.ComputeSystemModifySettingsV1, prot.PvV4, Func(func(context.Context, *Request) (prot.Response, error) {
		return nil, errors.New(strings.Repeat("\x01", 100000))
	}))
	srv := NewServer(Options{Handler: m, Log: quietLog()})
	p := connect(t, srv)
	p.negotiate()
	for i, tc := range []struct {
		typ  prot.MessageIdentifier
		want prot.HResult
		text string
	}{
		{prot.ComputeSystemCreateV1, prot.HrFail, "internal error"},
		{prot.ComputeSystemStartV1, prot.HrFail, "sent no reply"},
		{prot.ComputeSystemGetPropertiesV1, prot.HrFail, "exceeds"},
		{prot.ComputeSystemSignalProcessV1, prot.HrOK, ""},
		{prot.ComputeSystemModifySettingsV1, prot.HrFail, "truncated"},
		{prot.ComputeSystemDumpStacksV1, prot.HrOK, ""},
	} {
		base, raw := p.call(tc.typ, prot.SequenceID(100+i), `{`+act+`}`)
		if prot.HResult(base.Result) != tc.want || !strings.Contains(base.ErrorMessage, tc.text) {
			t.Errorf("%s: got %d %q", tc.typ, base.Result, raw[:min(len(raw), 200)])
		}
	}
}

func TestWaitNeverBlocksOtherRequests(t *testing.T) {
	for _, sequential := range []bool{false, true} {
		release := make(chan struct{})
		m := testMux()
		m.Handle(prot.ComputeSystemWaitForProcessV1, prot.PvV4, Func(func(ctx context.Context, _ *Request) (prot.Response, error) {
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return &prot.ContainerWaitForProcessResponse{ExitCode: 3}, nil
		}))
		srv := NewServer(Options{Handler: m, Log: quietLog(), Sequential: sequential})
		p := connect(t, srv)
		p.negotiate()
		p.send(prot.ComputeSystemWaitForProcessV1, 1, `{}`)
		if base, _ := p.call(prot.ComputeSystemDumpStacksV1, 2, `{}`); base.Result != 0 {
			t.Fatalf("sequential=%v: dumpstacks behind a wait failed", sequential)
		}
		close(release)
		h, b := p.recv()
		if h.ID != 1 || !strings.Contains(string(b), `"ExitCode":3`) {
			t.Fatalf("sequential=%v: wait reply %v %s", sequential, h, b)
		}
	}
}

// TestBlockedHandlerDoesNotStallReading checks that a request whose
// handler blocks, arriving alone (nothing behind it yet when it is read)
// and then with others already behind it, does not keep the connection
// from reading and answering the requests that follow.
func TestBlockedHandlerDoesNotStallReading(t *testing.T) {
	for _, pipelined := range []bool{false, true} {
		started := make(chan struct{}, 1)
		release := make(chan struct{})
		m := testMux()
		m.Handle(prot.ComputeSystemStartV1, prot.PvV4, Func(func(ctx context.Context, _ *Request) (prot.Response, error) {
			started <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return &prot.MessageResponseBase{}, nil
		}))
		srv := NewServer(Options{Handler: m, Log: quietLog()})
		p := connect(t, srv)
		p.negotiate()
		if pipelined {
			p.send(prot.ComputeSystemStartV1, 1, `{}`)
			p.send(prot.ComputeSystemDumpStacksV1, 2, `{}`)
			<-started
		} else {
			p.send(prot.ComputeSystemStartV1, 1, `{}`)
			<-started // read, and its handler running, before the next is sent
			p.send(prot.ComputeSystemDumpStacksV1, 2, `{}`)
		}
		if h, _ := p.recv(); h.ID != 2 {
			t.Fatalf("pipelined=%v: reply %d came first: reading stalled behind a blocked handler", pipelined, h.ID)
		}
		close(release)
		if h, _ := p.recv(); h.ID != 1 {
			t.Fatalf("pipelined=%v: reply %d, want the blocked request's", pipelined, h.ID)
		}
		p.conn.Close()
		if err := p.waitServeEnd(); err == nil || !strings.Contains(err.Error(), "EOF") {
			t.Fatalf("pipelined=%v: ServeConn returned %v, want EOF", pipelined, err)
		}
		srv.Wait()
	}
}

func TestSequentialKeepsOrder(t *testing.T) {
	var mu sync.Mutex
	var order []prot.SequenceID
	m := testMux()
	m.Handle(prot.ComputeSystemStartV1, prot.PvV4, Func(func(_ context.Context, r *Request) (prot.Response, error) {
		time.Sleep(time.Millisecond * time.Duration(10-r.Header.ID%10))
		mu.Lock()
		order = append(order, r.Header.ID)
		mu.Unlock()
		return &prot.MessageResponseBase{}, nil
	}))
	srv := NewServer(Options{Handler: m, Log: quietLog(), Sequential: true})
	p := connect(t, srv)
	p.negotiate()
	for i := 1; i <= 20; i++ {
		p.send(prot.ComputeSystemStartV1, prot.SequenceID(i), `{}`)
	}
	for i := 1; i <= 20; i++ {
		if h, _ := p.recv(); h.ID != prot.SequenceID(i) {
			t.Fatalf("reply %d has id %d: sequential mode reordered", i, h.ID)
		}
	}
	for i, id := range order {
		if id != prot.SequenceID(i+1) {
			t.Fatalf("handled in order %v", order)
		}
	}
}

func TestDumpStacksFitsOneMessage(t *testing.T) {
	// Many goroutines parked at different depths (so no two are alike and
	// grouped) make the dump far larger than 64 KiB. Wait until each is
	// at its depth: ones not there yet look alike and are grouped.
	stop := make(chan struct{})
	defer close(stop)
	var parked sync.WaitGroup
	for i := 0; i < 150; i++ {
		parked.Add(1)
		go parkAtDepth(i, &parked, stop)
	}
	parked.Wait()
	srv := NewServer(Options{Handler: testMux(), Log: quietLog()})
	p := connect(t, srv)
	p.negotiate()
	p.send(prot.ComputeSystemDumpStacksV1, 9, `{`+act+`}`)
	h, b := p.recv()
	if h.Size > prot.MaxOutboundMessageSize {
		t.Fatalf("reply of %d bytes", h.Size)
	}
	if !strings.Contains(string(b), "truncated to fit") {
		t.Fatalf("large dump not marked as truncated")
	}
	if h.Size < prot.MaxOutboundMessageSize-1024 {
		t.Errorf("dump trimmed to %d bytes, far below the limit", h.Size)
	}
}

// parkAtDepth blocks on stop n calls deep.
func parkAtDepth(n int, parked *sync.WaitGroup, stop <-chan struct{}) {
	if n > 0 {
		parkAtDepth(n-1, parked, stop)
		return
	}
	parked.Done()
	<-stop
}

func TestFitText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"small", "goroutine 1 [running]:\n"},
		{"ascii", strings.Repeat("a", 200000)},
		{"escaped", strings.Repeat("\x01<>&\n", 50000)},
		{"multibyte", strings.Repeat("é☃", 60000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := fitText(tc.in, prot.NullContainerID)
			if len(tc.in) < 1000 && out != tc.in {
				t.Fatalf("small text changed")
			}
			b := encodeResponse(&prot.DumpStacksResponse{MessageResponseBase: prot.MessageResponseBase{ActivityID: prot.NullContainerID}, GuestStacks: out})
			if len(b)+16 > prot.MaxOutboundMessageSize || strings.Contains(string(b), `"Result":-`) {
				t.Fatalf("encoded %d bytes", len(b)+16)
			}
			if !strings.HasPrefix(tc.in, strings.TrimSuffix(out, truncatedMarker)) {
				t.Fatal("kept text is not a prefix of the input")
			}
		})
	}
}

// TestFitTextIsLongestPrefix checks the one-pass measure against real
// encodings: the result fits, keeps a prefix ending at a character
// boundary, and one more character of the input would not fit.
func TestFitTextIsLongestPrefix(t *testing.T) {
	limit := prot.MaxOutboundMessageSize - prot.MessageHeaderSize
	pieces := []string{"a", "goroutine 7 [chan receive]:\n", "\t", "\x01", "<", ">", "&", `"`, `\`, "\b", "\f", "\r",
		"é", "☃", "\u2028", "\u2029", "\ufffd", "\xff", "\xe2\x98", "\x7f", "𝄞"}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40; i++ {
		var b strings.Builder
		for b.Len() < 30000+rng.IntN(90000) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		in := b.String()
		for _, act := range []string{prot.NullContainerID, strings.Repeat("x", 300)} {
			out := fitText(in, act)
			if n := replySize(act, out); n > limit || n < 0 {
				t.Fatalf("reply of %d bytes", n)
			}
			if out == in {
				continue
			}
			kept := strings.TrimSuffix(out, truncatedMarker)
			if !strings.HasPrefix(in, kept) || len(kept) == len(out) {
				t.Fatal("kept text is not a marked prefix of the input")
			}
			if !utf8.RuneStart(in[len(kept)]) {
				t.Fatalf("cut inside a character at %d", len(kept))
			}
			_, w := utf8.DecodeRuneInString(in[len(kept):])
			if n := replySize(act, in[:len(kept)+w]+truncatedMarker); n <= limit {
				t.Fatalf("cut at %d, but one more character fits (%d bytes)", len(kept), n)
			}
		}
	}
}

// TestOversizedIDsAreRefused: a request whose ContainerId and ActivityId
// are absurdly long gets E_INVALIDARG without the ActivityId echoed, in
// every state and for every kind of request, so its reply fits one bridge
// message (WIRE.md 6.8: the host drops the bridge on a larger one); ids up
// to the bound are echoed as before.
func TestOversizedIDsAreRefused(t *testing.T) {
	long := strings.Repeat("a", 70000)
	tests := []struct {
		name       string
		negotiated bool
		typ        prot.MessageIdentifier
		body       string
		want       prot.HResult
	}{
		{"success echoing the ActivityId", true, prot.ComputeSystemDumpStacksV1, `{"ActivityId":"` + long + `"}`, prot.HrInvalidArg},
		{"unknown type", true, 0x10100e01, `{"ActivityId":"` + long + `"}`, prot.HrInvalidArg},
		{"before negotiation", false, prot.ComputeSystemDumpStacksV1, `{"ActivityId":"` + long + `"}`, prot.HrInvalidArg},
		{"long ContainerId", true, prot.ComputeSystemDumpStacksV1, `{"ContainerId":"` + long + `"}`, prot.HrInvalidArg},
		{"WaitForProcess", true, prot.ComputeSystemWaitForProcessV1, `{"ContainerId":"` + long[:600] + `","ActivityId":"` + long[:600] + `"}`, prot.HrInvalidArg},
		{"ids at the bound", true, 0x10100e01, `{"ContainerId":"` + long[:24] + `","ActivityId":"` + long[:maxIDBytes-24] + `"}`, prot.HrNotImpl},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := NewServer(Options{Handler: testMux(), Log: quietLog()})
			p := connect(t, srv)
			if tc.negotiated {
				p.negotiate()
			}
			p.send(tc.typ, 3, tc.body)
			h, b := p.recv() // fails on a message over prot.MaxOutboundMessageSize
			if h.Type != prot.ResponseIdentifier(tc.typ) || h.ID != 3 {
				t.Fatalf("reply header %+v", h)
			}
			if tc.want != prot.HrInvalidArg {
				var base prot.MessageResponseBase
				if err := json.Unmarshal(b, &base); err != nil || prot.HResult(base.Result) != tc.want || len(base.ActivityID) != maxIDBytes-24 {
					t.Fatalf("reply %.200s: %v", b, err)
				}
				return
			}
			checkIDsRefused(t, b)
		})
	}
}

// checkIDsRefused checks that b is the reply to a request refused for its
// ids: E_INVALIDARG, the ActivityId not echoed.
func checkIDsRefused(t *testing.T, b []byte) {
	t.Helper()
	var base prot.MessageResponseBase
	if err := json.Unmarshal(b, &base); err != nil {
		t.Fatalf("reply %.200s: %v", b, err)
	}
	if prot.HResult(base.Result) != prot.HrInvalidArg || base.ActivityID != "" || !strings.Contains(base.ErrorMessage, "exceed") {
		t.Fatalf("reply %.200s, want E_INVALIDARG without the ActivityId", b)
	}
}
