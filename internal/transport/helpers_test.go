package transport

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// testCtx returns a context that ends with the test or after d.
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// acceptAsync accepts one connection on ln in the background.
func acceptAsync(t *testing.T, ln net.Listener) <-chan net.Conn {
	t.Helper()
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Errorf("Accept: %v", err)
			close(ch)
			return
		}
		ch <- c
	}()
	return ch
}

// recvConn waits for an accepted connection and registers its cleanup.
func recvConn(t *testing.T, ch <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("accept failed")
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for Accept")
	}
	return nil
}

// exchangeHalfClose checks bytes both ways and write half-close semantics:
// client writes and half-closes, server reads to EOF and then replies.
func exchangeHalfClose(t *testing.T, client, server net.Conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	_ = client.SetDeadline(deadline)
	_ = server.SetDeadline(deadline)

	if _, err := client.Write([]byte("ping")); err != nil {
		t.Fatalf("client write: %v", err)
	}
	if err := CloseWrite(client); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	got, err := io.ReadAll(server)
	if err != nil {
		t.Fatalf("server ReadAll: %v", err)
	}
	if string(got) != "ping" {
		t.Fatalf("server read %q, want ping", got)
	}
	// The peer saw EOF but can still write back.
	if _, err := server.Write([]byte("pong")); err != nil {
		t.Fatalf("server write after peer half-close: %v", err)
	}
	if err := CloseWrite(server); err != nil {
		t.Fatalf("server CloseWrite: %v", err)
	}
	got, err = io.ReadAll(client)
	if err != nil {
		t.Fatalf("client ReadAll: %v", err)
	}
	if string(got) != "pong" {
		t.Fatalf("client read %q, want pong", got)
	}
}
