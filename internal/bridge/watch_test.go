package bridge

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// goroutineID is the number runtime.Stack prints for the calling goroutine.
func goroutineID() string {
	var b [64]byte
	f := bytes.Fields(b[:runtime.Stack(b[:], false)])
	return string(f[1])
}

// TestQuickRequestsKeepTheTurn checks that requests answered quickly are
// served one after another by the goroutine that reads them, which never
// passes the reading turn on (no other goroutine is woken), once the
// connection's watch ticks; and that with HandOffAfter negative the turn
// passes on before every request, as before the watch.
func TestQuickRequestsKeepTheTurn(t *testing.T) {
	for _, tc := range []struct {
		after time.Duration
		keeps bool // one goroutine served requests 2..n
	}{
		{after: time.Hour, keeps: true},
		{after: -1, keeps: false},
	} {
		t.Run(fmt.Sprint(tc.after), func(t *testing.T) {
			var mu sync.Mutex
			served := map[prot.SequenceID]string{}
			m := testMux()
			m.Handle(prot.ComputeSystemStartV1, prot.PvV4, Func(func(_ context.Context, r *Request) (prot.Response, error) {
				mu.Lock()
				served[r.Header.ID] = goroutineID()
				mu.Unlock()
				return &prot.MessageResponseBase{}, nil
			}))
			srv := NewServer(Options{Handler: m, Log: quietLog(), HandOffAfter: tc.after})
			p := connect(t, srv)
			p.negotiate()
			const n = 50
			for id := prot.SequenceID(1); id <= n; id++ {
				if base, _ := p.call(prot.ComputeSystemStartV1, id, `{}`); base.Result != 0 {
					t.Fatalf("request %d failed", id)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			byWhom := map[string]int{}
			for id := prot.SequenceID(2); id <= n; id++ {
				byWhom[served[id]]++
			}
			if keeps := len(byWhom) == 1; keeps != tc.keeps {
				t.Fatalf("requests 2..%d served by %d goroutines %v; want one: %v", n, len(byWhom), byWhom, tc.keeps)
			}
		})
	}
}

// TestWatchHandsOffASlowRequest checks that a request that blocks while
// the watch ticks (quick requests came before it, so its goroutine kept
// the turn to serve it) has the turn passed on for it: the request sent
// after it is answered while it still blocks.
func TestWatchHandsOffASlowRequest(t *testing.T) {
	release := make(chan struct{})
	m := testMux()
	m.Handle(prot.ComputeSystemStartV1, prot.PvV4, Func(func(ctx context.Context, r *Request) (prot.Response, error) {
		if bytes.Contains(r.Body, []byte("block")) {
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return &prot.MessageResponseBase{}, nil
	}))
	srv := NewServer(Options{Handler: m, Log: quietLog(), HandOffAfter: time.Millisecond})
	p := connect(t, srv)
	p.negotiate()
	for round := 0; round < 3; round++ {
		id := prot.SequenceID(round * 100)
		for i := prot.SequenceID(1); i <= 5; i++ {
			p.call(prot.ComputeSystemStartV1, id+i, `{}`)
		}
		p.send(prot.ComputeSystemStartV1, id+10, `{"ContainerId":"block"}`)
		p.send(prot.ComputeSystemStartV1, id+11, `{}`)
		if h, _ := p.recv(); h.ID != id+11 {
			t.Fatalf("round %d: reply %d came first: reading stalled behind a slow request", round, h.ID)
		}
		release <- struct{}{}
		if h, _ := p.recv(); h.ID != id+10 {
			t.Fatalf("round %d: reply %d, want the slow request's", round, h.ID)
		}
	}
	close(release)
	p.conn.Close()
	p.waitServeEnd()
	srv.Wait()
}

// TestWatchUnderLoad mixes quick and slow requests from many writers at
// once, with a short HandOffAfter so that the watch passes the turn on
// often while requests are read and served (run with -race): every
// request gets exactly one reply, and the connection ends cleanly.
func TestWatchUnderLoad(t *testing.T) {
	m := testMux()
	m.Handle(prot.ComputeSystemStartV1, prot.PvV4, Func(func(_ context.Context, r *Request) (prot.Response, error) {
		if r.Header.ID%7 == 0 {
			time.Sleep(time.Duration(r.Header.ID%5) * 300 * time.Microsecond)
		}
		return &prot.MessageResponseBase{}, nil
	}))
	srv := NewServer(Options{Handler: m, Log: quietLog(), HandOffAfter: 100 * time.Microsecond, MaxInFlight: 8})
	p := connect(t, srv)
	p.negotiate()
	const writers, each = 8, 300
	var wmu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := prot.SequenceID(1 + w*each + i)
				b := prot.AppendMessage(nil, prot.ComputeSystemStartV1, id, []byte(`{}`))
				wmu.Lock()
				_, err := p.conn.Write(b)
				wmu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
				if rand.IntN(50) == 0 {
					time.Sleep(2 * time.Millisecond) // let the watch stop now and then
				}
			}
		}()
	}
	seen := map[prot.SequenceID]bool{}
	for len(seen) < writers*each {
		h, b := p.recv()
		if h.Type != prot.ResponseIdentifier(prot.ComputeSystemStartV1) || seen[h.ID] || !bytes.Contains(b, []byte(`"Result":0`)) {
			t.Fatalf("reply %+v %s: unexpected, repeated or failed", h, b)
		}
		seen[h.ID] = true
	}
	wg.Wait()
	p.conn.Close()
	if err := p.waitServeEnd(); err == nil {
		t.Fatal("ServeConn returned nil after the peer closed")
	}
	srv.Wait()
}
