package client_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// header encodes a bare message header.
func header(typ prot.MessageIdentifier, size uint32, id prot.SequenceID) []byte {
	b := make([]byte, prot.MessageHeaderSize)
	binary.LittleEndian.PutUint32(b[0:], uint32(typ))
	binary.LittleEndian.PutUint32(b[4:], size)
	binary.LittleEndian.PutUint64(b[8:], uint64(id))
	return b
}

// TestProtocolViolationsEndClient checks that every message a well-behaved
// GCS cannot send ends the client: the pending call fails with the reason,
// Done is closed, Err explains, and Notifications is closed.
func TestProtocolViolationsEndClient(t *testing.T) {
	tests := []struct {
		name     string
		opts     []client.Option
		inject   func(f *fakeGCS, pending request) error
		answered bool   // the pending call itself got a valid answer first
		want     string // substring of Err()
		protocol bool   // Err() is a *client.ProtocolError
	}{
		{name: "unmatched response id", inject: func(f *fakeGCS, p request) error {
			return f.send(prot.ResponseIdentifier(p.header.Type), p.header.ID+7, []byte(`{"Result":0}`))
		}, want: "response id 7 matches no pending request", protocol: true},
		{name: "duplicate response", answered: true, inject: func(f *fakeGCS, p request) error {
			if err := f.reply(p, ok()); err != nil {
				return err
			}
			return f.reply(p, ok())
		}, want: "response id 0 matches no pending request", protocol: true},
		{name: "size below header", inject: func(f *fakeGCS, p request) error {
			return f.write(header(prot.ComputeSystemResponseStartV1, 15, 0))
		}, want: "size smaller than the header"},
		{name: "size above default limit", inject: func(f *fakeGCS, p request) error {
			return f.write(header(prot.ComputeSystemResponseStartV1, prot.MaxOutboundMessageSize+1, 0))
		}, want: "size 65537, id 0): size above the limit of 65536 bytes"},
		{name: "size above configured limit", opts: []client.Option{client.WithMaxMessageSize(1024)},
			inject: func(f *fakeGCS, p request) error {
				return f.write(header(prot.ComputeSystemResponseStartV1, 1025, 0))
			}, want: "size above the limit of 1024 bytes"},
		{name: "request from the GCS", inject: func(f *fakeGCS, p request) error {
			return f.send(prot.ComputeSystemStartV1, 0, []byte(`{}`))
		}, want: "neither a response nor a notification", protocol: true},
		{name: "notification of unknown type", inject: func(f *fakeGCS, p request) error {
			return f.send(0x30100201, 0, []byte(`{}`))
		}, want: "unknown notification type (message type 0x30100201", protocol: true},
		{name: "notification with an id", inject: func(f *fakeGCS, p request) error {
			return f.send(prot.ComputeSystemNotificationV1, 5, []byte(`{}`))
		}, want: "notification with a non-zero id", protocol: true},
		{name: "undecodable notification", inject: func(f *fakeGCS, p request) error {
			return f.send(prot.ComputeSystemNotificationV1, 0, []byte(`{"Result":"x"}`))
		}, want: "undecodable notification body", protocol: true},
		{name: "connection closed by the GCS", inject: func(f *fakeGCS, p request) error {
			return f.conn.Close()
		}, want: "bridge connection closed by the GCS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newPair(t, tt.opts...)
			ch := goCall(func() error { return c.Start(testContext(t), "c1") })
			pending := f.mustRecv(t)
			if err := tt.inject(f, pending); err != nil {
				t.Fatalf("inject: %v", err)
			}
			waitDone(t, c)
			cerr := c.Err()
			if cerr == nil || !strings.Contains(cerr.Error(), tt.want) {
				t.Fatalf("Err() = %v, want it to contain %q", cerr, tt.want)
			}
			var pe *client.ProtocolError
			if got := errors.As(cerr, &pe); got != tt.protocol {
				t.Errorf("Err() is a *ProtocolError: %v, want %v", got, tt.protocol)
			}
			callErr := waitResult(t, ch)
			switch {
			case tt.answered && callErr != nil:
				t.Errorf("answered call failed: %v", callErr)
			case !tt.answered && !errors.Is(callErr, cerr):
				t.Errorf("pending call returned %v, want it to wrap %v", callErr, cerr)
			}
			if err := c.Start(testContext(t), "c1"); !errors.Is(err, cerr) {
				t.Errorf("call after the failure returned %v, want it to wrap %v", err, cerr)
			}
			if _, open := <-c.Notifications(); open {
				t.Error("Notifications channel still open")
			}
		})
	}
}

// TestStrayRepliesOption checks that with WithStrayReplies a response that
// matches no pending request (a late answer to a request of an earlier
// connection) is reported and dropped, and the client carries on, while
// without it the same reply ends the client (above).
func TestStrayRepliesOption(t *testing.T) {
	var seen []prot.SequenceID
	c, f := newPair(t, client.WithStrayReplies(func(h prot.MessageHeader) { seen = append(seen, h.ID) }))
	ch := goCall(func() error { return c.Start(testContext(t), "c1") })
	pending := f.mustRecv(t)
	if err := f.send(prot.ResponseIdentifier(pending.header.Type), pending.header.ID+7, []byte(`{"Result":0}`)); err != nil {
		t.Fatalf("send the stray reply: %v", err)
	}
	f.mustReply(t, pending, ok())
	if err := waitResult(t, ch); err != nil {
		t.Fatalf("the pending call after a stray reply: %v", err)
	}
	if c.Err() != nil {
		t.Fatalf("the client ended: %v", c.Err())
	}
	if len(seen) != 1 || seen[0] != pending.header.ID+7 {
		t.Errorf("stray replies seen = %v, want [%d]", seen, pending.header.ID+7)
	}
}

// TestStrayRepliesOptionSameIDOtherType checks that with WithStrayReplies a
// response under a pending request's ID but of another type (a held answer
// to an earlier connection's request that happens to carry the same ID) is a
// stray: it is reported and dropped, and the pending call still gets its own
// answer.
func TestStrayRepliesOptionSameIDOtherType(t *testing.T) {
	var seen []prot.MessageHeader
	c, f := newPair(t, client.WithStrayReplies(func(h prot.MessageHeader) { seen = append(seen, h) }))
	ch := goCall(func() error { return c.Start(testContext(t), "c1") })
	pending := f.mustRecv(t)
	other := prot.ResponseIdentifier(prot.ComputeSystemWaitForProcessV1)
	if err := f.send(other, pending.header.ID, []byte(`{"Result":0,"ExitCode":3}`)); err != nil {
		t.Fatalf("send the stray reply: %v", err)
	}
	f.mustReply(t, pending, ok())
	if err := waitResult(t, ch); err != nil {
		t.Fatalf("the pending call after a same-ID stray reply: %v", err)
	}
	if len(seen) != 1 || seen[0].Type != other || seen[0].ID != pending.header.ID {
		t.Errorf("stray replies seen = %+v, want one of type %s and id %d", seen, other, pending.header.ID)
	}
}

// TestSameIDOtherTypeFailsStrictClient checks that without WithStrayReplies
// the same reply is not silently dropped: the call it answers fails with the
// type mismatch.
func TestSameIDOtherTypeFailsStrictClient(t *testing.T) {
	c, f := newPair(t)
	ch := goCall(func() error { return c.Start(testContext(t), "c1") })
	pending := f.mustRecv(t)
	other := prot.ResponseIdentifier(prot.ComputeSystemWaitForProcessV1)
	if err := f.send(other, pending.header.ID, []byte(`{"Result":0}`)); err != nil {
		t.Fatalf("send the reply: %v", err)
	}
	err := waitResult(t, ch)
	if err == nil || !strings.Contains(err.Error(), "response has type") {
		t.Fatalf("call answered with another type returned %v, want a type mismatch", err)
	}
}

// TestStrayRepliesOptionRandomFirstID checks that clients made with
// WithStrayReplies (one-shot tools reconnecting to a GCS that may hold
// answers for an earlier connection) do not all number their requests from
// the same point, which makes a held answer land on a live request's ID.
func TestStrayRepliesOptionRandomFirstID(t *testing.T) {
	ids := make(map[prot.SequenceID]bool)
	for range 4 {
		c, f := newPair(t, client.WithStrayReplies(nil))
		ch := goCall(func() error { return c.Start(testContext(t), "c1") })
		r := f.mustRecv(t)
		f.mustReply(t, r, ok())
		if err := waitResult(t, ch); err != nil {
			t.Fatalf("call: %v", err)
		}
		if r.header.ID == 0 {
			t.Errorf("request numbered 0, the notifications' id")
		}
		ids[r.header.ID] = true
	}
	if len(ids) < 2 {
		t.Errorf("4 clients all numbered their first request %v", ids)
	}
}
