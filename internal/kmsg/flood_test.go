package kmsg

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestForwardFloodIsRateLimited floods the real kernel log with records at
// the forwarded level, as a container that keeps triggering kernel
// warnings or OOM kills does, and checks that the daemon's log gets no
// more of them than the rate limit allows, a line counting those left out,
// and, once the flood is over, records again.
func TestForwardFloodIsRateLimited(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to write to /dev/kmsg")
	}
	var out testutil.LogBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- Forward(ctx, DefaultPath, Warning, out.Logger()) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	tag := fmt.Sprintf("gcs-kmsg-flood-%d", time.Now().UnixNano())
	const flood = 3 * limitBurst
	// One open per record: printk_devkmsg=ratelimit limits each open
	// file of /dev/kmsg to a few records.
	for i := range flood {
		rec := fmt.Sprintf("<3>%s-%d\n", tag, i)
		if err := os.WriteFile(DefaultPath, []byte(rec), 0); err != nil {
			t.Fatalf("write %q to %s: %v", rec, DefaultPath, err)
		}
	}
	// The last record is in, the flood over: the summary of what was left
	// out must come without another record to carry it.
	deadline := time.Now().Add(30 * time.Second)
	for out.Count("kernel log records left out") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no line counts the records left out; %d of %d flood records forwarded",
				out.Count(tag+"-"), flood)
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	got := out.Count(tag + "-")
	allowed := limitBurst + int(elapsed.Seconds()*limitRate) + 1
	if got > allowed {
		t.Errorf("%d of %d flood records forwarded in %v; the limit allows %d", got, flood, elapsed, allowed)
	}
	t.Logf("%d of %d flood records forwarded in %v", got, flood, elapsed)

	// Once the bucket has refilled, records are forwarded again.
	time.Sleep(time.Duration(float64(time.Second) * 2 / limitRate))
	after := "<3>" + tag + "-after\n"
	if err := os.WriteFile(DefaultPath, []byte(after), 0); err != nil {
		t.Fatalf("write %q: %v", after, err)
	}
	out.WaitCount(t, 1, tag+"-after")
}
