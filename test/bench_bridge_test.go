package test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// startBody is a realistic small request: Start, which the GCS answers
// without touching any container state, so the benchmark measures the
// bridge (framing, dispatch, JSON, reply) and the transport.
var startBody = []byte(`{"ContainerId":"3f1c6a7e9b2d4c5f8a1e0b3d6c9f2a5e8b1d4c7f0a3e6b9d2c5f8a1e4b7d0c3f","ActivityId":"00000000-0000-0000-0000-000000000000"}` + "\n")

// Goal 3's burst: requests in all, and in flight at once.
const (
	burstRequests = 10000
	burstInFlight = 256
)

// bridgePair is the real gcs binary (bridge only, no state root) and the
// floor peer, a separate process answering every message with a fixed
// reply, each behind a client over the same kind of transport.
func bridgePair(b *testing.B, tr string) (gcs, floor *client.Client) {
	if tr == "unix" {
		_, addr := listenGCS(b, "-loglevel", "warning")
		gcs = dialGCS(b, addr)
	} else {
		_, gcs = stdioGCS(b, "-loglevel", "warning")
	}
	if _, err := gcs.Negotiate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return gcs, startEchoPeer(b, tr)
}

func noop(c *client.Client) error {
	_, _, err := c.Raw(context.Background(), prot.ComputeSystemStartV1, startBody)
	return err
}

// BenchmarkBridge measures goal 3 over a unix socket and over
// stdin/stdout pipes: one no-op request at a time, and bursts of 10,000
// requests with 256 in flight, each alternately through the gcs binary and
// through the floor peer, so both see the same machine.
func BenchmarkBridge(b *testing.B) {
	for _, tr := range []string{"unix", "pipe"} {
		b.Run(tr+"/roundtrip", func(b *testing.B) {
			gcs, floor := bridgePair(b, tr)
			var p pair
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.alternate(b, func() error { return noop(gcs) }, func() error { return noop(floor) })
			}
			b.StopTimer()
			p.report(b, "3 no-op round trip, "+tr, 1.2)
		})
		b.Run(tr+"/burst", func(b *testing.B) {
			gcs, floor := bridgePair(b, tr)
			var p pair
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.alternate(b, func() error { return burst(gcs) }, func() error { return burst(floor) })
			}
			b.StopTimer()
			g := burstRequests / median(p.gcs) * 1000
			f := burstRequests / median(p.floor) * 1000
			b.ReportMetric(g, "gcs-req/s")
			b.ReportMetric(f, "floor-req/s")
			b.ReportMetric(g/f, "ratio")
			board.add(goalRow{
				key:    "3 burst 10k/256 in flight, " + tr,
				figure: fmt.Sprintf("%.0f req/s", g), floor: fmt.Sprintf("%.0f req/s", f),
				ratio: g / f, goal: "ratio ≥ 0.80", met: g/f >= 0.8,
			})
		})
	}
}

// burst sends burstRequests no-op requests with burstInFlight in flight.
func burst(c *client.Client) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, burstInFlight)
	for w := 0; w < burstInFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= burstRequests {
				if err := noop(c); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// since is the time elapsed since start in milliseconds.
func since(start time.Time) float64 { return float64(time.Since(start).Nanoseconds()) / 1e6 }
