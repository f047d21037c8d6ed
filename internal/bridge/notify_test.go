package bridge

import (
	"context"
	"encoding/json"
	"fmt"
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
