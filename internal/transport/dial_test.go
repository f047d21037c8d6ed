package transport

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDialListenRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		addr func(t *testing.T) Addr
	}{
		{"unix", func(t *testing.T) Addr {
			return Addr{Network: NetworkUnix, Path: filepath.Join(t.TempDir(), "bridge.sock")}
		}},
		{"tcp4", func(*testing.T) Addr { return Addr{Network: NetworkTCP, Host: "127.0.0.1"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := Listen(tt.addr(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ln.Close() })

			a := listenerAddr(t, ln)
			accepted := acceptAsync(t, ln)
			client, err := Dial(testCtx(t, 5*time.Second), a)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = client.Close() })
			exchangeHalfClose(t, client, recvConn(t, accepted))
		})
	}
}

func TestDialErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		addr   Addr
		errSub string
	}{
		{"stdio", Addr{Network: NetworkStdio}, "stdio cannot be dialed"},
		{"zero", Addr{}, "empty address"},
		{"relative unix", Addr{Network: NetworkUnix, Path: "x.sock"}, "not absolute"},
		{"tcp no host", Addr{Network: NetworkTCP, Port: 1}, "missing tcp host"},
		{"tcp big port", Addr{Network: NetworkTCP, Host: "127.0.0.1", Port: 70000}, "out of range"},
		{"no listener", Addr{Network: NetworkUnix, Path: filepath.Join(dir, "none.sock")}, "dial unix://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Dial(testCtx(t, 5*time.Second), tt.addr)
			if err == nil {
				_ = c.Close()
				t.Fatal("Dial succeeded, want error")
			}
			if !strings.Contains(err.Error(), tt.errSub) {
				t.Fatalf("error %q does not mention %q", err, tt.errSub)
			}
		})
	}
}

func TestDialRetryListenerAppearsLater(t *testing.T) {
	a := Addr{Network: NetworkUnix, Path: filepath.Join(t.TempDir(), "late.sock")}
	lnCh := make(chan error, 1)
	timer := time.AfterFunc(200*time.Millisecond, func() {
		ln, err := Listen(a)
		if err == nil {
			t.Cleanup(func() { _ = ln.Close() })
			go func() {
				if c, err := ln.Accept(); err == nil {
					_ = c.Close()
				}
			}()
		}
		lnCh <- err
	})
	t.Cleanup(func() { timer.Stop() })

	var failures atomic.Int32
	b := Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, OnError: func(attempt int, err error) {
		if got := failures.Add(1); int(got) != attempt {
			t.Errorf("OnError attempt = %d, want %d", attempt, got)
		}
		if err == nil {
			t.Error("OnError called with nil error")
		}
	}}
	c, err := DialRetry(testCtx(t, 5*time.Second), a, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := <-lnCh; err != nil {
		t.Fatalf("late Listen: %v", err)
	}
	if failures.Load() == 0 {
		t.Fatal("expected failed attempts before the listener appeared")
	}
}

func TestDialRetryGivesUp(t *testing.T) {
	a := Addr{Network: NetworkUnix, Path: filepath.Join(t.TempDir(), "never.sock")}
	var attempts atomic.Int32
	start := time.Now()
	_, err := DialRetry(testCtx(t, 300*time.Millisecond), a, Backoff{
		Initial: 20 * time.Millisecond,
		OnError: func(int, error) { attempts.Add(1) },
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "never.sock") {
		t.Fatalf("error %q does not name the address", err)
	}
	if attempts.Load() < 2 {
		t.Fatalf("only %d attempts", attempts.Load())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("DialRetry took %v after ctx expired", d)
	}
}

func TestDialRetryPermanentError(t *testing.T) {
	_, err := DialRetry(testCtx(t, 5*time.Second), Addr{Network: NetworkStdio}, Backoff{
		OnError: func(int, error) { t.Error("stdio must not be retried") },
	})
	if err == nil {
		t.Fatal("DialRetry(stdio) succeeded")
	}
}

func TestBackoffBounds(t *testing.T) {
	tests := []struct {
		b            Backoff
		initial, max time.Duration
	}{
		{Backoff{}, 100 * time.Millisecond, 2 * time.Second},
		{Backoff{Initial: time.Second}, time.Second, 2 * time.Second},
		{Backoff{Initial: 5 * time.Second, Max: time.Second}, time.Second, time.Second},
		{Backoff{Initial: -1, Max: -1}, 100 * time.Millisecond, 2 * time.Second},
	}
	for _, tt := range tests {
		i, m := tt.b.bounds()
		if i != tt.initial || m != tt.max {
			t.Errorf("%+v.bounds() = %v, %v; want %v, %v", tt.b, i, m, tt.initial, tt.max)
		}
	}
}
