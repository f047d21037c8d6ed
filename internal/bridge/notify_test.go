package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

func note(i int) *prot.ContainerNotification {
	return &prot.ContainerNotification{
		MessageBase: prot.MessageBase{ContainerID: fmt.Sprintf("c%d", i), ActivityID: prot.NullContainerID},
		Type:        prot.NtUnexpectedExit, Operation: prot.AoNone,
	}
}

func recvNote(t *testing.T, p *peer) prot.ContainerNotification {
	t.Helper()
	h, b := p.recv()
	if h.Type != prot.ComputeSystemNotificationV1 || h.ID != 0 {
		t.Fatalf("got %+v, want a notification", h)
	}
	var n prot.ContainerNotification
	if err := json.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNotificationsQueuedWhileDisconnected(t *testing.T) {
	srv := NewServer(Options{Handler: testMux(), Log: quietLog()})
	for i := 0; i < 100; i++ {
		if err := srv.Notify(note(i)); err != nil {
			t.Fatal(err)
		}
	}
	p := connect(t, srv)
	for i := 0; i < 100; i++ {
		if n := recvNote(t, p); n.ContainerID != fmt.Sprintf("c%d", i) {
			t.Fatalf("notification %d is for %s", i, n.ContainerID)
		}
	}
	// A notification leaves the queue only after its write returned, which
	// may be just after the host has read it.
	waitCount(t, "notifications still queued", srv.PendingNotifications, 0)
	// Dropped connection, then a notification, then a new connection.
	p.conn.Close()
	p.waitServeEnd()
	srv.Notify(note(100))
	q := connect(t, srv)
	if n := recvNote(t, q); n.ContainerID != "c100" || n.Type != prot.NtUnexpectedExit || n.Operation != prot.AoNone {
		t.Fatalf("after reconnect got %+v", n)
	}
}

func TestNotificationFollowsReply(t *testing.T) {
	m := testMux()
	var srv *Server
	m.Handle(prot.ComputeSystemWaitForProcessV1, prot.PvV4, HandlerFunc(func(_ context.Context, w ResponseWriter, r *Request) {
		w.Respond(&prot.ContainerWaitForProcessResponse{ExitCode: 7})
		srv.Notify(note(int(r.Header.ID)))
	}))
	srv = NewServer(Options{Handler: m, Log: quietLog()})
	p := connect(t, srv)
	p.negotiate()
	for i := 1; i <= 50; i++ {
		p.send(prot.ComputeSystemWaitForProcessV1, prot.SequenceID(i), `{}`)
	}
	replied := map[prot.SequenceID]bool{}
	for got := 0; got < 100; got++ {
		h, b := p.recv()
		if h.Type == prot.ComputeSystemNotificationV1 {
			var n prot.ContainerNotification
			json.Unmarshal(b, &n)
			var id int
			fmt.Sscanf(n.ContainerID, "c%d", &id)
			if !replied[prot.SequenceID(id)] {
				t.Fatalf("notification for %d arrived before its wait reply", id)
			}
			continue
		}
		replied[h.ID] = true
	}
}

func TestNotifyRefusesOversize(t *testing.T) {
	srv := NewServer(Options{Log: quietLog()})
	n := note(0)
	n.ContainerID = string(make([]byte, 70000))
	if err := srv.Notify(n); err == nil {
		t.Fatal("oversized notification accepted")
	}
	if srv.PendingNotifications() != 0 {
		t.Fatal("oversized notification queued")
	}
}

// TestOversizedActivityIDDoesNotStopNotifications: a request whose
// ActivityId alone is larger than a bridge message must still get a reply
// that fits, and must not stop the notifications queued behind that reply,
// on its connection or on the next one.
func TestOversizedActivityIDDoesNotStopNotifications(t *testing.T) {
	// An unknown message type: E_NOTIMPL, which would echo the ActivityId.
	const unknown = prot.MessageIdentifier(0x10100e01)
	body := `{"ContainerId":"x","ActivityId":"` + strings.Repeat("a", 70000) + `"}`
	for _, reconnect := range []bool{false, true} {
		t.Run(fmt.Sprintf("reconnect %v", reconnect), func(t *testing.T) {
			// Sequential: once a later request is answered, or ServeConn
			// has returned, the refused request's reply is written or held.
			srv := NewServer(Options{Handler: testMux(), Log: quietLog(), Sequential: true})
			p := connect(t, srv)
			p.negotiate()
			p.send(unknown, 1, body)
			refused := false
			if reconnect {
				// The reply is written to p, which never reads it, or held
				// for q, which then reads it before the notification.
				p.conn.Close()
				p.waitServeEnd()
				p = connect(t, srv)
			} else {
				p.send(prot.ComputeSystemDumpStacksV1, 2, `{}`)
				_, refused = recvPast(t, p, unknown, prot.ComputeSystemResponseDumpStacksV1)
			}
			if err := srv.Notify(note(1)); err != nil {
				t.Fatal(err)
			}
			b, _ := recvPast(t, p, unknown, prot.ComputeSystemNotificationV1)
			var n prot.ContainerNotification
			if err := json.Unmarshal(b, &n); err != nil || n.ContainerID != "c1" {
				t.Fatalf("notification %s: %v", b, err)
			}
			if !reconnect && !refused {
				t.Fatal("no reply to the request with the oversized ActivityId")
			}
		})
	}
}

// recvPast reads from p until a message of type want arrives. On the way
// it accepts the reply to the request of type refused and id 1, checking
// that it was refused for its ids. It returns the body of the message
// wanted and whether it saw that reply.
func recvPast(t *testing.T, p *peer, refused, want prot.MessageIdentifier) ([]byte, bool) {
	t.Helper()
	saw := false
	for {
		h, b := p.recv()
		switch {
		case h.Type == want:
			return b, saw
		case h.Type == prot.ResponseIdentifier(refused) && h.ID == 1 && !saw:
			checkIDsRefused(t, b)
			saw = true
		default:
			t.Fatalf("got %+v %.200s", h, b)
		}
	}
}

// TestDeliverDropsAReplyThatCanNeverFit: a reply the writer refuses for its
// size is dropped, not held for the next connection, where it would stop
// every message queued behind it.
func TestDeliverDropsAReplyThatCanNeverFit(t *testing.T) {
	srv := NewServer(Options{Handler: testMux(), Log: quietLog()})
	p := connect(t, srv)
	p.negotiate()
	srv.deliver(prot.ComputeSystemResponseStartV1, 1, make([]byte, prot.MaxOutboundMessageSize))
	if n := srv.PendingReplies(); n != 0 {
		t.Fatalf("%d replies held for the next connection, want 0", n)
	}
	if err := srv.Notify(note(1)); err != nil {
		t.Fatal(err)
	}
	if n := recvNote(t, p); n.ContainerID != "c1" {
		t.Fatalf("notification for %s", n.ContainerID)
	}
}

// TestDrainDropsWhatCanNeverFit: a queued message too large for any
// connection is dropped, and what is queued behind it is sent.
func TestDrainDropsWhatCanNeverFit(t *testing.T) {
	q := newOutbox(DefaultMaxQueuedReplyBytes)
	q.push(outMsg{typ: prot.ComputeSystemResponseStartV1, id: 1, body: make([]byte, prot.MaxOutboundMessageSize), reply: true})
	q.push(outMsg{typ: prot.ComputeSystemNotificationV1, body: []byte(`{}`)})
	sink := &slowSink{}
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		q.drain(newMsgWriter(sink, sink), done, quietLog())
	}()
	waitCount(t, "messages queued", func() int { return q.count(false) + q.count(true) }, 0)
	close(done)
	<-ended
	r := bytes.NewReader(sink.out.Bytes())
	if h, _, err := prot.ReadMessage(r, prot.MaxOutboundMessageSize); err != nil || h.Type != prot.ComputeSystemNotificationV1 {
		t.Fatalf("first message written %+v (%v), want the notification", h, err)
	}
	if r.Len() != 0 {
		t.Fatalf("%d more bytes written", r.Len())
	}
}
