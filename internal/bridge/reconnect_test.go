package bridge

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// waitRig is a server whose WaitForProcess handler blocks until released,
// replies with exit code 7 and then publishes a notification, as the init
// wait of a container does.
type waitRig struct {
	srv     *Server
	release chan struct{}
	ctxErr  chan error
}

func newWaitRig(opts Options) *waitRig {
	r := &waitRig{release: make(chan struct{}), ctxErr: make(chan error, 16)}
	m := testMux()
	m.Handle(prot.ComputeSystemWaitForProcessV1, prot.PvV4, HandlerFunc(func(ctx context.Context, w ResponseWriter, req *Request) {
		req.Release()
		select {
		case <-r.release:
		case <-ctx.Done():
		}
		r.ctxErr <- ctx.Err()
		w.Respond(&prot.ContainerWaitForProcessResponse{ExitCode: 7})
		r.srv.Notify(note(int(req.Header.ID)))
	}))
	opts.Handler, opts.Log = m, quietLog()
	r.srv = NewServer(opts)
	return r
}

// expectWaitThenNote reads the wait reply for id, then its notification.
func expectWaitThenNote(t *testing.T, p *peer, id prot.SequenceID) {
	t.Helper()
	h, b := p.recv()
	if h.Type != prot.ComputeSystemResponseWaitForProcessV1 || h.ID != id || !strings.Contains(string(b), `"ExitCode":7`) {
		t.Fatalf("got %+v %s, want the wait reply %d", h, b, id)
	}
	if n := recvNote(t, p); n.ContainerID != "c"+strconv.Itoa(int(id)) {
		t.Fatalf("notification for %s, want c%d", n.ContainerID, id)
	}
}

func TestWaitOutlivesItsConnection(t *testing.T) {
	for _, exitWhile := range []string{"reconnected", "disconnected"} {
		t.Run("exit while "+exitWhile, func(t *testing.T) {
			r := newWaitRig(Options{})
			p := connect(t, r.srv)
			p.negotiate()
			p.send(prot.ComputeSystemWaitForProcessV1, 5, `{}`)
			// A round trip: the wait has been dispatched.
			p.call(prot.ComputeSystemDumpStacksV1, 6, `{}`)
			p.conn.Close()
			p.waitServeEnd()
			if exitWhile == "disconnected" {
				close(r.release)
				waitCount(t, "replies held for the next connection", r.srv.PendingReplies, 1)
				q := connect(t, r.srv)
				expectWaitThenNote(t, q, 5)
				q.negotiate()
			} else {
				q := connect(t, r.srv)
				q.negotiate()
				close(r.release)
				expectWaitThenNote(t, q, 5)
			}
			if err := <-r.ctxErr; err != nil {
				t.Fatalf("the wait's context ended with its connection: %v", err)
			}
		})
	}
}

func TestRepliesHeldForTheNextConnectionAreBounded(t *testing.T) {
	one := len(encodeResponse(&prot.ContainerWaitForProcessResponse{ExitCode: 7}))
	r := newWaitRig(Options{MaxQueuedReplyBytes: 3 * one})
	p := connect(t, r.srv)
	p.negotiate()
	for i := 1; i <= 10; i++ {
		p.send(prot.ComputeSystemWaitForProcessV1, prot.SequenceID(i), `{}`)
	}
	p.call(prot.ComputeSystemDumpStacksV1, 99, `{}`)
	p.conn.Close()
	p.waitServeEnd()
	close(r.release)
	waitCount(t, "notifications queued", r.srv.PendingNotifications, 10)
	// Three replies fit, the rest were dropped; notifications never are.
	if n := r.srv.PendingReplies(); n != 3 {
		t.Fatalf("%d replies held, want 3", n)
	}
}
