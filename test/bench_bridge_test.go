package test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// startBody is a realistic small request: Start, which the GCS answers
// without touching any container state, so the benchmark measures the
// bridge (framing, dispatch, JSON, reply) and the transport.
var startBody = []byte(`{"ContainerId":"3f1c6a7e9b2d4c5f8a1e0b3d6c9f2a5e8b1d4c7f0a3e6b9d2c5f8a1e4b7d0c3f","ActivityId":"00000000-0000-0000-0000-000000000000"}` + "\n")

// BenchmarkBridgeRoundTrip measures request→reply through the real gcs
// binary over a unix socket and over stdin/stdout pipes, with 1 and 64
// requests in flight. BenchmarkTransportFloor is its baseline: the same
// bytes echoed by a trivial peer over the same transport.
func BenchmarkBridgeRoundTrip(b *testing.B) {
	for _, tr := range []string{"unix", "pipe"} {
		for _, inFlight := range []int{1, 64} {
			b.Run(tr+"/inflight="+itoa(inFlight), func(b *testing.B) {
				var c *client.Client
				if tr == "unix" {
					_, addr := listenGCS(b, "-loglevel", "warning")
					c = dialGCS(b, addr)
				} else {
					_, c = stdioGCS(b, "-loglevel", "warning")
				}
				if _, err := c.Negotiate(context.Background()); err != nil {
					b.Fatal(err)
				}
				runInFlight(b, inFlight, func() error {
					_, _, err := c.Raw(context.Background(), prot.ComputeSystemStartV1, startBody)
					return err
				})
			})
		}
	}
}

// BenchmarkTransportFloor is the same exchange against the cheapest
// possible peer: a separate process (this test binary re-executed) that
// answers every message with a fixed success reply over the same kind of
// transport, through the same client.
func BenchmarkTransportFloor(b *testing.B) {
	for _, tr := range []string{"unix", "pipe"} {
		for _, inFlight := range []int{1, 64} {
			b.Run(tr+"/inflight="+itoa(inFlight), func(b *testing.B) {
				c := startEchoPeer(b, tr)
				runInFlight(b, inFlight, func() error {
					_, _, err := c.Raw(context.Background(), prot.ComputeSystemStartV1, startBody)
					return err
				})
			})
		}
	}
}

func runInFlight(b *testing.B, inFlight int, op func() error) {
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	var next sync.Mutex
	n := 0
	for w := 0; w < inFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				if n >= b.N {
					next.Unlock()
					return
				}
				n++
				next.Unlock()
				if err := op(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/op")
}

func itoa(i int) string { return strconv.Itoa(i) }
