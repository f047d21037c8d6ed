package transport

import (
	"context"
	"testing"
)

// This machine has AF_VSOCK without loopback, so vsock is never dialed in
// tests; listening must either work or fail with a clear error.
func TestListenVsock(t *testing.T) {
	a := Addr{Network: NetworkVsock, CID: 0xFFFFFFFF, Port: 0x5eed1234}
	ln, err := Listen(a)
	if err != nil {
		t.Logf("Listen(%s) not available here: %v", a, err)
		if ln != nil {
			t.Fatal("non-nil listener with error")
		}
		return
	}
	t.Cleanup(func() { _ = ln.Close() })
	if got := ln.Addr().Network(); got != "vsock" {
		t.Fatalf("listener network = %q, want vsock", got)
	}
	t.Logf("listening on %s", ln.Addr())
}

func TestRelayListenerVsock(t *testing.T) {
	rl, err := ParseRelayListener("vsock://2")
	if err != nil {
		t.Fatal(err)
	}
	port, ln, err := rl.Listen(context.Background())
	if err != nil {
		t.Logf("vsock relay listen not available here: %v", err)
		return
	}
	t.Cleanup(func() { _ = ln.Close() })
	if port < RelayPortBase {
		t.Fatalf("port %#x below RelayPortBase", port)
	}
}
