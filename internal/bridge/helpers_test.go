package bridge

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/prot"
)

// peer is the host end of a real unix socket connection to a Server.
type peer struct {
	t    *testing.T
	conn net.Conn
	errc chan error
}

func quietLog() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

// testMux is the routes a GCS has with nothing but the bridge.
func testMux() *Mux {
	m := NewMux()
	m.Handle(prot.ComputeSystemNegotiateProtocolV1, prot.PvInvalid, Negotiate(prot.LinuxCapabilities()))
	m.Handle(prot.ComputeSystemDumpStacksV1, prot.PvV4, DumpStacks())
	return m
}

// connect serves one connection of srv over a unix socket and returns the
// host end. ServeConn's result arrives on p.errc.
func connect(t *testing.T, srv *Server) *peer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bridge.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p := &peer{t: t, errc: make(chan error, 1)}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			p.errc <- err
			return
		}
		p.errc <- srv.ServeConn(ctx, c)
	}()
	p.conn, err = net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.conn.Close() })
	return p
}

func (p *peer) send(typ prot.MessageIdentifier, id prot.SequenceID, body string) {
	p.t.Helper()
	if _, err := p.conn.Write(prot.AppendMessage(nil, typ, id, []byte(body))); err != nil {
		p.t.Fatalf("send %s: %v", typ, err)
	}
}

func (p *peer) sendHeader(h prot.MessageHeader) {
	p.t.Helper()
	var b [prot.MessageHeaderSize]byte
	h.Encode(b[:])
	if _, err := p.conn.Write(b[:]); err != nil {
		p.t.Fatalf("send header: %v", err)
	}
}

func (p *peer) recv() (prot.MessageHeader, []byte) {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	h, b, err := prot.ReadMessage(p.conn, prot.MaxOutboundMessageSize)
	if err != nil {
		p.t.Fatalf("receive: %v", err)
	}
	return h, b
}

// call sends a request and decodes the reply's base, checking the reply's
// type and id.
func (p *peer) call(typ prot.MessageIdentifier, id prot.SequenceID, body string) (prot.MessageResponseBase, []byte) {
	p.t.Helper()
	p.send(typ, id, body)
	h, b := p.recv()
	if h.Type != prot.ResponseIdentifier(typ) || h.ID != id {
		p.t.Fatalf("reply header %+v, want type %s id %d", h, prot.ResponseIdentifier(typ), id)
	}
	var base prot.MessageResponseBase
	if err := json.Unmarshal(b, &base); err != nil {
		p.t.Fatalf("reply %q: %v", b, err)
	}
	return base, b
}

func (p *peer) negotiate() {
	p.t.Helper()
	base, b := p.call(prot.ComputeSystemNegotiateProtocolV1, 0, `{"ContainerId":"","ActivityId":"`+prot.NullContainerID+`","MinimumVersion":4,"MaximumVersion":4}`+"\n")
	if base.Result != 0 {
		p.t.Fatalf("negotiate failed: %s", b)
	}
}

// waitServeEnd returns ServeConn's result.
func (p *peer) waitServeEnd() error {
	p.t.Helper()
	select {
	case err := <-p.errc:
		return err
	case <-time.After(10 * time.Second):
		p.t.Fatal("ServeConn did not return")
		return nil
	}
}

// waitCount waits up to 10 s for count to report want, failing with what
// otherwise.
func waitCount(t *testing.T, what string, count func() int, want int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		n := count()
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s, want %d", n, what, want)
		}
	}
}
