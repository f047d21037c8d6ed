package client_test

// The fake GCS in this file is the peer the client package cannot reach on
// its own: it is the far end of the bridge, reduced to reading requests and
// writing whatever bytes a test wants the client to see. It models nothing
// of the daemon's behaviour; the real GCS is tested end to end against this
// client elsewhere.

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

// fakeGCS is the guest end of one bridge connection.
type fakeGCS struct {
	conn net.Conn
	wmu  sync.Mutex
}

// request is one message the client sent.
type request struct {
	header prot.MessageHeader
	body   []byte
}

// newPair returns a Client and the fake GCS at the other end of an
// in-memory connection. Both are closed when the test ends.
func newPair(t *testing.T, opts ...client.Option) (*client.Client, *fakeGCS) {
	t.Helper()
	a, b := net.Pipe()
	c := client.New(a, opts...)
	t.Cleanup(func() {
		_ = c.Close()
		_ = b.Close()
	})
	return c, &fakeGCS{conn: b}
}

// testContext returns a context bounded by testTimeout.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// recv reads the next request.
func (f *fakeGCS) recv() (request, error) {
	h, b, err := prot.ReadMessage(f.conn, 1<<20)
	return request{header: h, body: b}, err
}

// mustRecv reads the next request, failing the test on error. Call it
// only from the test goroutine.
func (f *fakeGCS) mustRecv(t *testing.T) request {
	t.Helper()
	_ = f.conn.SetReadDeadline(time.Now().Add(testTimeout))
	r, err := f.recv()
	if err != nil {
		t.Fatalf("fake GCS: read request: %v", err)
	}
	return r
}

// send writes one message with body as is, in a single Write.
func (f *fakeGCS) send(typ prot.MessageIdentifier, id prot.SequenceID, body []byte) error {
	return f.write(prot.AppendMessage(nil, typ, id, body))
}

// write writes raw bytes in a single Write.
func (f *fakeGCS) write(b []byte) error {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	_, err := f.conn.Write(b)
	return err
}

// reply answers r with resp encoded as compact JSON, as the reference GCS does.
func (f *fakeGCS) reply(r request, resp any) error {
	b, err := json.Marshal(resp)
	if err != nil {
		return err
	}
	return f.send(prot.ResponseIdentifier(r.header.Type), r.header.ID, b)
}

// mustReply is reply that fails the test on error.
func (f *fakeGCS) mustReply(t *testing.T, r request, resp any) {
	t.Helper()
	if err := f.reply(r, resp); err != nil {
		t.Fatalf("fake GCS: reply: %v", err)
	}
}

// notify sends a container notification.
func (f *fakeGCS) notify(n *prot.ContainerNotification) error {
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return f.send(prot.ComputeSystemNotificationV1, 0, b)
}

// serve answers every request with handle's result until the connection
// ends; it runs in its own goroutine.
func (f *fakeGCS) serve(handle func(request) any) {
	go func() {
		for {
			r, err := f.recv()
			if err != nil {
				return
			}
			if err := f.reply(r, handle(r)); err != nil {
				return
			}
		}
	}()
}

// ok is the base-only success body.
func ok() *prot.MessageResponseBase { return &prot.MessageResponseBase{} }

// socketPath returns a unix socket path in a fresh directory that is short
// enough for sun_path.
func socketPath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if len(dir) > 80 {
		var err error
		if dir, err = os.MkdirTemp("", "gcs"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
	}
	return filepath.Join(dir, "bridge.sock")
}

// result is the outcome of a call run in the background.
type result struct {
	err error
}

// goCall runs fn in a goroutine and returns the channel of its result.
func goCall(fn func() error) <-chan result {
	ch := make(chan result, 1)
	go func() { ch <- result{fn()} }()
	return ch
}

// waitResult waits for a background call.
func waitResult(t *testing.T, ch <-chan result) error {
	t.Helper()
	select {
	case r := <-ch:
		return r.err
	case <-time.After(testTimeout):
		t.Fatal("call did not return")
		return nil
	}
}

// waitDone waits until c has ended.
func waitDone(t *testing.T, c *client.Client) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(testTimeout):
		t.Fatal("client did not end")
	}
}
