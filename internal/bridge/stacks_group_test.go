package bridge

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestGroupStacks(t *testing.T) {
	const (
		a1 = "goroutine 7 [chan receive, 3 minutes]:\nmain.wait(0xc000010000, 0x1)\n\t/src/main.go:10 +0x1d\ncreated by main.start in goroutine 1\n\t/src/main.go:5 +0x25"
		a2 = "goroutine 9 [chan receive]:\nmain.wait(0xc000020000, 0x2)\n\t/src/main.go:10 +0x1d\ncreated by main.start in goroutine 3\n\t/src/main.go:5 +0x25"
		b  = "goroutine 8 [select]:\nmain.loop()\n\t/src/main.go:20 +0x40"
		c  = "goroutine 10 [chan receive]:\nmain.wait(0xc000030000, 0x3)\n\t/src/main.go:11 +0x1d" // another line
	)
	for _, tc := range []struct {
		name, in, want string
		limit          int // of groupStacks; 0: len(in)
	}{
		{"empty", "", "", 0},
		{"one", a1 + "\n", a1 + "\n", 0},
		{"all different", a1 + "\n\n" + b + "\n\n" + c + "\n", a1 + "\n\n" + b + "\n\n" + c + "\n", 0},
		{"alike despite arguments, durations and creators", a1 + "\n\n" + b + "\n\n" + a2 + "\n\n" + c + "\n",
			"goroutine 7 [chan receive, 3 minutes] (and 1 more with this stack):" + strings.TrimPrefix(a1, "goroutine 7 [chan receive, 3 minutes]:") +
				"\n\n" + b + "\n\n" + c + "\n", 0},
		{"another state", a1 + "\n\n" + strings.Replace(a2, "chan receive", "chan send", 1), a1 + "\n\n" + strings.Replace(a2, "chan receive", "chan send", 1), 0},
		{"groups past the limit left out", a1 + "\n\n" + b + "\n\n" + c + "\n", a1 + "\n", len(a1) - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			if limit == 0 {
				limit = len(tc.in)
			}
			if got := groupStacks(tc.in, limit); got != tc.want {
				t.Errorf("groupStacks:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestDumpStacksGroupsParkedGoroutines parks many goroutines on one line
// and checks the dump reports them once, whole however large the raw dump.
func TestDumpStacksGroupsParkedGoroutines(t *testing.T) {
	const parked = 2000 // a raw dump far over one message
	parkAlike(t, parked)
	d := &stackDumper{}
	text := d.stacks()
	if n := strings.Count(text, "parkForStacksTest"); n != 1 {
		t.Errorf("parked goroutines reported %d times, want once:\n%.2000s", n, text)
	}
	if !strings.Contains(text, " more with this stack):") || strings.Contains(text, strings.TrimSpace(truncatedMarker)) {
		t.Errorf("dump not grouped or cut:\n%.2000s", text)
	}
	if want := fmt.Sprintf("(and %d more with this stack):", parked-1); !strings.Contains(text, want) {
		t.Errorf("dump does not count every parked goroutine (%q):\n%.2000s", want, text)
	}
}

// TestDumpStacksCutRaw parks more goroutines than a raw dump holds: the
// dump says it was cut, as the goroutines past the cut are neither shown
// nor counted.
func TestDumpStacksCutRaw(t *testing.T) {
	const parked = 2000 // about 280 KiB raw
	parkAlike(t, parked)
	for _, tc := range []struct {
		name     string
		rawLimit int
		cut      bool
	}{
		{"whole", 0, false},
		{"cut", 64 << 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &stackDumper{rawLimit: tc.rawLimit}
			text := d.stacks()
			if got := strings.HasPrefix(text, rawCutNote); got != tc.cut {
				t.Errorf("dump marked as cut: %v, want %v:\n%.1000s", got, tc.cut, text)
			}
		})
	}
}

// parkAlike parks n goroutines on one line until the test ends.
func parkAlike(t *testing.T, n int) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	started := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		go parkForStacksTest(stop, started, i)
	}
	for i := 0; i < n; i++ {
		<-started
	}
	// A goroutine that has said it started may not be blocked yet (it is
	// then runnable or running, not alike the others): wait until all are.
	blocked := []byte("[chan receive]:\ngithub.com/linux-gcs/gcs/internal/bridge.parkForStacksTest(")
	buf := make([]byte, 8<<20)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if bytes.Count(buf[:runtime.Stack(buf, true)], blocked) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("parked goroutines did not all block")
		}
	}
}

// parkForStacksTest blocks until stop is closed.
func parkForStacksTest(stop <-chan struct{}, started chan<- struct{}, _ int) {
	started <- struct{}{}
	<-stop
}

// TestDumpStacksCost parks goroutines whose raw dump is megabytes long:
// one dump stops the world at most twice (each runtime.Stack of every
// goroutine is one stop, however little of the dump its buffer holds), and
// a raw buffer that large is not kept once the dump is taken (only the
// trimmed text, of one message at most; see maxPooledStacks).
func TestDumpStacksCost(t *testing.T) {
	const goroutines, depth = 500, 40 // about 3 MiB raw
	stop := make(chan struct{})
	defer close(stop)
	var parked sync.WaitGroup
	for i := 0; i < goroutines; i++ {
		parked.Add(1)
		go parkAtDepth(depth, &parked, stop)
	}
	parked.Wait()
	liveBefore := liveHeap()
	pausesBefore := worldStops()
	d := &stackDumper{}
	text := d.stacks()
	pauses := worldStops() - pausesBefore
	retained := int64(liveHeap()) - int64(liveBefore)
	runtime.KeepAlive(d)
	if !strings.Contains(text, " more with this stack):") {
		t.Fatalf("dump not grouped:\n%.2000s", text)
	}
	if pauses > 2 {
		t.Errorf("one dump stopped the world %d times, want at most 2", pauses)
	}
	if retained > 4*prot.MaxOutboundMessageSize {
		t.Errorf("%d bytes of heap retained after the dump, want at most %d", retained, 4*prot.MaxOutboundMessageSize)
	}
}

// worldStops is how many times the world has been stopped for something
// other than the garbage collector.
func worldStops() uint64 {
	s := []metrics.Sample{{Name: "/sched/pauses/total/other:seconds"}}
	metrics.Read(s)
	var n uint64
	for _, c := range s[0].Value.Float64Histogram().Counts {
		n += c
	}
	return n
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
