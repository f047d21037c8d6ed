package bridge

import (
	"runtime"
	"strings"
	"testing"
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
	}{
		{"empty", "", ""},
		{"one", a1 + "\n", a1 + "\n"},
		{"all different", a1 + "\n\n" + b + "\n\n" + c + "\n", a1 + "\n\n" + b + "\n\n" + c + "\n"},
		{"alike despite arguments, durations and creators", a1 + "\n\n" + b + "\n\n" + a2 + "\n\n" + c + "\n",
			"goroutine 7 [chan receive, 3 minutes] (and 1 more with this stack):" + strings.TrimPrefix(a1, "goroutine 7 [chan receive, 3 minutes]:") +
				"\n\n" + b + "\n\n" + c + "\n"},
		{"another state", a1 + "\n\n" + strings.Replace(a2, "chan receive", "chan send", 1), a1 + "\n\n" + strings.Replace(a2, "chan receive", "chan send", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := groupStacks(tc.in); got != tc.want {
				t.Errorf("groupStacks:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestDumpStacksGroupsParkedGoroutines parks many goroutines on one line
// and checks the dump reports them once, whole however large the raw dump.
func TestDumpStacksGroupsParkedGoroutines(t *testing.T) {
	const parked = 2000 // a raw dump far over one message
	stop := make(chan struct{})
	started := make(chan struct{}, parked)
	for i := 0; i < parked; i++ {
		go parkForStacksTest(stop, started, i)
	}
	defer close(stop)
	for i := 0; i < parked; i++ {
		<-started
	}
	d := &stackDumper{}
	text := d.stacks()
	if n := strings.Count(text, "parkForStacksTest"); n != 1 {
		t.Errorf("parked goroutines reported %d times, want once:\n%.2000s", n, text)
	}
	if !strings.Contains(text, " more with this stack):") || strings.Contains(text, strings.TrimSpace(truncatedMarker)) {
		t.Errorf("dump not grouped or cut:\n%.2000s", text)
	}
	if len(d.buf) <= runtime.Stack(make([]byte, 1<<10), false) {
		t.Errorf("raw buffer %d bytes", len(d.buf))
	}
}

// parkForStacksTest blocks until stop is closed.
func parkForStacksTest(stop <-chan struct{}, started chan<- struct{}, _ int) {
	started <- struct{}{}
	<-stop
}
