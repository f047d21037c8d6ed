package client_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// dialFake connects a fake GCS to a unix socket, as the real GCS dials the host.
func dialFake(t *testing.T, path string) *fakeGCS {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("fake GCS: dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &fakeGCS{conn: conn}
}

// negotiateOnly answers NegotiateProtocol and DumpStacks.
func negotiateOnly(r request) any {
	switch r.header.Type {
	case prot.ComputeSystemNegotiateProtocolV1:
		return &prot.NegotiateProtocolResponse{Version: 4, Capabilities: prot.LinuxCapabilities()}
	case prot.ComputeSystemDumpStacksV1:
		return &prot.DumpStacksResponse{GuestStacks: "stacks"}
	}
	return prot.ErrorResponse("", prot.NewError(prot.HrNotImpl))
}

func TestListenAccept(t *testing.T) {
	path := socketPath(t)
	l, err := client.Listen("unix://" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := l.Addr().String(); got != path {
		t.Errorf("Addr() = %q, want %q", got, path)
	}

	dialFake(t, path).serve(negotiateOnly)
	ctx := testContext(t)
	c, err := l.Accept(ctx)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	defer c.Close()
	resp, err := c.Negotiate(ctx)
	if err != nil {
		t.Fatalf("Negotiate: %v", err)
	}
	if resp.Capabilities.RuntimeOsType != prot.OsTypeLinux {
		t.Errorf("RuntimeOsType = %q", resp.Capabilities.RuntimeOsType)
	}
}

func TestAcceptContextEnds(t *testing.T) {
	path := socketPath(t)
	l, err := client.Listen("unix://" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.Accept(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Accept = %v, want DeadlineExceeded", err)
	}

	// The listener is still usable afterwards.
	dialFake(t, path).serve(negotiateOnly)
	c, err := l.Accept(testContext(t))
	if err != nil {
		t.Fatalf("second Accept: %v", err)
	}
	defer c.Close()
	if s, err := c.DumpStacks(testContext(t)); err != nil || s != "stacks" {
		t.Errorf("DumpStacks = %q, %v", s, err)
	}
}

func TestDial(t *testing.T) {
	path := socketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		(&fakeGCS{conn: conn}).serve(negotiateOnly)
	}()

	c, err := client.Dial(testContext(t), "unix://"+path)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if _, err := c.Negotiate(testContext(t)); err != nil {
		t.Fatalf("Negotiate: %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"bogus", "missing scheme"},
		{"unix:///nonexistent/dir/bridge.sock", "dial unix:///nonexistent/dir/bridge.sock"},
	}
	for _, tt := range tests {
		_, err := client.Dial(testContext(t), tt.addr)
		if err == nil || !strings.HasPrefix(err.Error(), "gcs: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Dial(%q) = %v, want an error containing %q", tt.addr, err, tt.want)
		}
	}
}
