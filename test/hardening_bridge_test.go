package test

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// bridgeWire is the host end of a bridge connection spoken byte for byte,
// without the client, so that what the daemon put on the wire is checked
// as it is.
type bridgeWire struct {
	t    testing.TB
	conn net.Conn
	wmu  sync.Mutex
}

// bridgeDial connects to a listening daemon at addr (unix://PATH),
// retrying while it starts.
func bridgeDial(t testing.TB, addr string) *bridgeWire {
	t.Helper()
	var conn net.Conn
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if conn, err = net.Dial("unix", strings.TrimPrefix(addr, "unix://")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect to gcs at %s: %v", addr, err)
		}
	}
	t.Cleanup(func() { conn.Close() })
	return &bridgeWire{t: t, conn: conn}
}

func (w *bridgeWire) send(typ prot.MessageIdentifier, id prot.SequenceID, body string) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_, err := w.conn.Write(prot.AppendMessage(nil, typ, id, []byte(body)))
	return err
}

// recv reads the next message; the peer has a generous time to send it.
func (w *bridgeWire) recv() (prot.MessageHeader, []byte, error) {
	w.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	return prot.ReadMessage(w.conn, prot.MaxOutboundMessageSize)
}

// negotiate runs NegotiateProtocol under id and checks the reply; messages
// of other ids that come first are returned.
func (w *bridgeWire) negotiate(id prot.SequenceID) []bridgeMsg {
	w.t.Helper()
	if err := w.send(prot.ComputeSystemNegotiateProtocolV1, id, `{"ActivityId":"`+prot.NullContainerID+`","MinimumVersion":4,"MaximumVersion":4}`+"\n"); err != nil {
		w.t.Fatal(err)
	}
	var others []bridgeMsg
	for {
		h, b, err := w.recv()
		if err != nil {
			w.t.Fatalf("negotiate: %v", err)
		}
		if h.ID != id || h.Type != prot.ComputeSystemResponseNegotiateProtocolV1 {
			others = append(others, bridgeMsg{h, b})
			continue
		}
		var base prot.MessageResponseBase
		if err := json.Unmarshal(b, &base); err != nil || base.Result != 0 {
			w.t.Fatalf("negotiate reply %s (%v)", b, err)
		}
		return others
	}
}

// bridgeMsg is one message read from the wire.
type bridgeMsg struct {
	h    prot.MessageHeader
	body []byte
}

// bridgeActivity is the ActivityId of request i: as long as the daemon
// takes (ids beyond 1 KiB are refused), and naming i so that a reply
// carried under another request's id is seen.
func bridgeActivity(i int, size int) string {
	tag := fmt.Sprintf("%08d", i)
	return strings.Repeat(tag, size/len(tag))
}

// Large replies, 128 in flight (a DumpStacks near 64 KiB every fourth,
// Start replies of 1 KiB between), with a host that reads as fast as it
// can: the daemon's writer has megabytes pending at times, the case where
// it once wrote a batch from the buffer new replies were being appended to
// (replies under another request's id, misaligned headers).
func TestBridgeLargeConcurrentRepliesStayIntact(t *testing.T) {
	const total, inFlight, actSize = 3000, 128, 1016
	_, addr := listenGCS(t)
	w := bridgeDial(t, addr)
	w.negotiate(1)

	credit := make(chan struct{}, inFlight)
	sendErr := make(chan error, 1)
	go func() {
		for i := 2; i < total+2; i++ {
			credit <- struct{}{}
			typ, act := prot.ComputeSystemStartV1, bridgeActivity(i, actSize)
			if i%4 == 0 {
				// A DumpStacks among them: its reply is near the 64 KiB limit.
				typ, act = prot.ComputeSystemDumpStacksV1, fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			}
			if err := w.send(typ, prot.SequenceID(i), `{"ContainerId":"c","ActivityId":"`+act+`"}`+"\n"); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- nil
	}()
	seen := make(map[prot.SequenceID]bool, total)
	for len(seen) < total {
		h, b, err := w.recv()
		if err != nil {
			t.Fatalf("after %d good replies: %v", len(seen), err)
		}
		<-credit
		i := int(h.ID)
		if i < 2 || i >= total+2 || seen[h.ID] {
			t.Fatalf("reply with id %d (out of range or duplicate) after %d replies", i, len(seen))
		}
		seen[h.ID] = true
		if int(h.Size) != prot.MessageHeaderSize+len(b) {
			t.Fatalf("reply %d: header size %d, body %d", i, h.Size, len(b))
		}
		bridgeCheckReply(t, i, h, b, actSize)
	}
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
}

// bridgeCheckReply checks that reply body b, received under id i, is the
// reply to request i: valid JSON of the right shape carrying i's ActivityId.
func bridgeCheckReply(t *testing.T, i int, h prot.MessageHeader, b []byte, actSize int) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("reply %d is not a JSON object (%v): %.120q", i, err, b)
	}
	var r struct {
		Result      int32
		ActivityID  string `json:"ActivityId"`
		GuestStacks *string
	}
	json.Unmarshal(b, &r)
	wantKeys := 2
	if i%4 == 0 {
		wantKeys = 3
		if h.Type != prot.ComputeSystemResponseDumpStacksV1 || r.GuestStacks == nil || !strings.Contains(*r.GuestStacks, "goroutine") {
			t.Fatalf("reply %d: type %s, not a DumpStacks reply: %.120q", i, h.Type, b)
		}
		if want := fmt.Sprintf("00000000-0000-4000-8000-%012d", i); r.ActivityID != want {
			t.Fatalf("reply %d carries ActivityId %.40q", i, r.ActivityID)
		}
	} else {
		if h.Type != prot.ComputeSystemResponseStartV1 {
			t.Fatalf("reply %d: type %s, want a Start reply", i, h.Type)
		}
		if r.ActivityID != bridgeActivity(i, actSize) {
			t.Fatalf("reply %d carries another request's ActivityId %.40q", i, r.ActivityID)
		}
	}
	if r.Result != 0 || len(m) != wantKeys {
		t.Fatalf("reply %d: result %d, keys %d: %.200q", i, r.Result, len(m), b)
	}
}

// Bodies that fail to decode, each holding an environment value, must be
// refused with the invalid-JSON HRESULT and never quoted: not in the reply,
// not in the daemon's log even at trace level.
func TestBridgeUndecodableBodiesNeverEchoSecrets(t *testing.T) {
	const secret = "hunter2-S3CRET-value"
	inner := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	spec := `{"OciSpecification":{"process":{"env":["PASSWORD=` + secret + `"]}}}`
	params := `{"Environment":{"PASSWORD":"` + secret + `"}}`
	cases := []struct {
		name string
		typ  prot.MessageIdentifier
		body string
	}{
		{"create truncated", prot.ComputeSystemCreateV1, `{"ContainerId":"c1","ContainerConfig":` + inner(spec) + `,`},
		{"create config not a string", prot.ComputeSystemCreateV1, `{"ContainerId":"c1","ContainerConfig":` + spec + `}`},
		{"create config truncated", prot.ComputeSystemCreateV1, `{"ContainerId":"c1","ContainerConfig":` + inner(spec[:len(spec)-2]+`,`) + `}`},
		{"create env of the wrong type", prot.ComputeSystemCreateV1, `{"ContainerId":"c1","ContainerConfig":` + inner(`{"OciSpecification":{"process":{"env":"PASSWORD=`+secret+`"}}}`) + `}`},
		{"create env number overflows", prot.ComputeSystemCreateV1, `{"ContainerId":"c1","ContainerConfig":` + inner(`{"OciSpecification":{"process":{"user":{"uid":9`+strings.Repeat("9", 30)+`}}}}`) + `}`},
		{"exec truncated", prot.ComputeSystemExecuteProcessV1, `{"ContainerId":"c1","Settings":{"ProcessParameters":` + inner(params) + `}`},
		{"exec params truncated", prot.ComputeSystemExecuteProcessV1, `{"ContainerId":"c1","Settings":{"ProcessParameters":` + inner(params[:len(params)-1]+`,`) + `}}`},
		{"exec environment of the wrong type", prot.ComputeSystemExecuteProcessV1, `{"ContainerId":"c1","Settings":{"ProcessParameters":` + inner(`{"Environment":["PASSWORD=`+secret+`"]}`) + `}}`},
	}
	g, addr := listenGCS(t, "-loglevel", "trace")
	c := dialGCS(t, addr)
	if _, err := c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		_, b, err := c.Raw(testCtx(t), tc.typ, []byte(tc.body+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var base prot.MessageResponseBase
		if err := json.Unmarshal(b, &base); err != nil {
			t.Fatalf("%s: reply %q: %v", tc.name, b, err)
		}
		if got := prot.HResult(base.Result); got != prot.HrVmcomputeInvalidJSON {
			t.Errorf("%s: Result %s (%q), want %s", tc.name, got, base.ErrorMessage, prot.HrVmcomputeInvalidJSON)
		}
		if strings.Contains(string(b), secret) || strings.Contains(string(b), strings.Repeat("9", 30)) {
			t.Errorf("%s: the reply quotes the request: %s", tc.name, b)
		}
		if !strings.Contains(base.ErrorMessage, "offset") {
			t.Errorf("%s: the error does not say where decoding failed: %q", tc.name, base.ErrorMessage)
		}
	}
	// A round trip after the last failure: its log lines are written.
	if _, err := c.DumpStacks(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if log := g.log(); strings.Contains(log, secret) {
		i := strings.Index(log, secret)
		t.Errorf("the daemon's log quotes a request body: ...%s...", log[max(0, i-200):i])
	}
}
