package bridge

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestRequestBodiesBoundedInBytes(t *testing.T) {
	const budget, body = 1 << 20, 400 << 10
	release := make(chan struct{})
	var inHandler, waiting atomic.Int32
	m := testMux()
	m.Handle(prot.ComputeSystemGetPropertiesV1, prot.PvV4, Func(func(ctx context.Context, r *Request) (prot.Response, error) {
		inHandler.Add(1)
		defer inHandler.Add(-1)
		<-release
		return &prot.MessageResponseBase{}, nil
	}))
	// A wait releases its body after decoding: parked waits hold no budget.
	m.Handle(prot.ComputeSystemWaitForProcessV1, prot.PvV4, HandlerFunc(func(ctx context.Context, w ResponseWriter, r *Request) {
		r.Release()
		if r.Body != nil {
			t.Error("Body kept after Release")
		}
		waiting.Add(1)
		<-release
		w.Respond(&prot.ContainerWaitForProcessResponse{})
	}))
	srv := NewServer(Options{Handler: m, Log: quietLog(), MaxInFlightBytes: budget})
	p := connect(t, srv)
	p.negotiate()
	pad := `{"Pad":"` + strings.Repeat("x", body) + `"}`
	for i := 1; i <= 10; i++ {
		p.send(prot.ComputeSystemWaitForProcessV1, prot.SequenceID(i), pad)
	}
	for deadline := time.Now().Add(10 * time.Second); waiting.Load() < 10; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 10 large waits parked: waits hold the budget", waiting.Load())
		}
	}
	go func() {
		for i := 11; i <= 15; i++ {
			p.send(prot.ComputeSystemGetPropertiesV1, prot.SequenceID(i), pad)
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); inHandler.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests in their handler, want 2", inHandler.Load())
		}
	}
	// The third body does not fit: the reader waits rather than read it.
	time.Sleep(100 * time.Millisecond)
	if n := inHandler.Load(); n != 2 {
		t.Fatalf("%d bodies of %d bytes held under a budget of %d", n, body, budget)
	}
	if used := srv.budget.inUse(); used > budget {
		t.Fatalf("%d bytes in use, budget %d", used, budget)
	}
	close(release)
	for got := 0; got < 15; got++ {
		if h, b := p.recv(); !strings.Contains(string(b), `"Result":0`) {
			t.Fatalf("reply %d: %s", h.ID, b)
		}
	}
}

func TestByteBudgetAdmitsOversizeAlone(t *testing.T) {
	b := newByteBudget(100)
	ctx := context.Background()
	if err := b.acquire(ctx, 500); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := b.acquire(cctx, 1); err == nil {
		t.Fatal("acquired beyond the budget")
	}
	b.release(500)
	if err := b.acquire(ctx, 100); err != nil || b.inUse() != 100 {
		t.Fatalf("after release: %v, %d in use", err, b.inUse())
	}
}
