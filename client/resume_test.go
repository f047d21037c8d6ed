package client_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestResumeKeepsCallsInFlight(t *testing.T) {
	c, f := newPair(t)
	c.SetMigrating(true)
	var code uint32
	wait := goCall(func() (err error) {
		code, err = c.WaitForProcess(testContext(t), "c1", 42, -1)
		return err
	})
	w := f.mustRecv(t)
	if w.header.Type != prot.ComputeSystemWaitForProcessV1 {
		t.Fatalf("got %s, want the wait", w.header.Type)
	}
	f.conn.Close() // the bridge drops

	// A request made while the connection is down fails alone.
	if _, err := c.DumpStacks(testContext(t)); err == nil {
		t.Fatal("DumpStacks on a dropped connection succeeded")
	}
	select {
	case <-c.Done():
		t.Fatalf("the client ended with its connection: %v", c.Err())
	default:
	}

	a, b := net.Pipe()
	t.Cleanup(func() { b.Close() })
	g := &fakeGCS{conn: b}
	served := make(chan error, 1)
	go func() {
		n, err := g.recv()
		if err == nil && n.header.Type != prot.ComputeSystemNegotiateProtocolV1 {
			err = fmt.Errorf("first request on the new connection is %s", n.header.Type)
		}
		if err == nil {
			err = g.reply(n, &prot.NegotiateProtocolResponse{Version: 4})
		}
		if err == nil {
			// The GCS answers the wait of the earlier connection here.
			err = g.reply(w, &prot.ContainerWaitForProcessResponse{ExitCode: 7})
		}
		served <- err
	}()
	resp, err := c.Resume(testContext(t), a)
	if err != nil || resp.Version != 4 {
		t.Fatalf("resume: %+v %v", resp, err)
	}
	if err := waitResult(t, wait); err != nil || code != 7 {
		t.Fatalf("wait across the resume: %d %v", code, err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

func TestDropOutsideMigrationEndsTheClient(t *testing.T) {
	c, f := newPair(t)
	wait := goCall(func() error {
		_, err := c.WaitForProcess(testContext(t), "c1", 42, -1)
		return err
	})
	f.mustRecv(t)
	f.conn.Close()
	waitDone(t, c)
	if err := waitResult(t, wait); err == nil {
		t.Fatal("wait survived a drop outside a migration window")
	}
	a, _ := net.Pipe()
	if _, err := c.Resume(testContext(t), a); err == nil {
		t.Fatal("resume outside a migration window succeeded")
	}
}
