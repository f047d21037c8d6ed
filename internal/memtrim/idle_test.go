package memtrim

import (
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// idleStep is one moment in the life of an Idle: time passes, then Soon
// or Stop may be called, and by then so many trims have happened.
type idleStep struct {
	wait      time.Duration
	soon      bool
	stop      bool
	wantTrims int
}

// TestIdle drives a real Idle (which really trims this process) in a
// synctest bubble, whose clock moves only when every goroutine in it
// waits: a trim comes delay after the last Soon, a later Soon puts it
// off, and nothing trims after Stop.
func TestIdle(t *testing.T) {
	const delay = time.Minute
	tests := []struct {
		name  string
		steps []idleStep
	}{
		{"trims delay after Soon, once", []idleStep{
			{soon: true},
			{wait: delay - time.Nanosecond, wantTrims: 0},
			{wait: time.Nanosecond, wantTrims: 1},
			{wait: 10 * delay, wantTrims: 1},
		}},
		{"a Soon during the wait puts the trim off", []idleStep{
			{soon: true},
			{wait: delay / 2, soon: true},
			{wait: delay / 2, wantTrims: 0},
			{wait: delay/2 - time.Nanosecond, soon: true, wantTrims: 0},
			{wait: delay - time.Nanosecond, wantTrims: 0},
			{wait: time.Nanosecond, wantTrims: 1},
		}},
		{"a Soon after a trim trims again", []idleStep{
			{soon: true},
			{wait: delay, soon: true, wantTrims: 1},
			{wait: delay, wantTrims: 2},
		}},
		{"Stop cancels the scheduled trim", []idleStep{
			{soon: true},
			{wait: delay / 2, stop: true},
			{wait: 10 * delay, wantTrims: 0},
		}},
		{"Soon after Stop does nothing", []idleStep{
			{stop: true},
			{soon: true},
			{wait: 10 * delay, wantTrims: 0},
		}},
		{"nothing trims without Soon", []idleStep{
			{wait: 10 * delay, wantTrims: 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := logrus.New()
				log.SetOutput(io.Discard)
				log.SetLevel(logrus.DebugLevel)
				hook := logtest.NewLocal(log)
				idle := NewIdle(delay, log)
				defer idle.Stop()
				for i, s := range tt.steps {
					time.Sleep(s.wait)
					synctest.Wait() // a trim that is due has ended
					if got := trims(t, hook); got != s.wantTrims {
						t.Fatalf("step %d (after waiting %v): %d trims, want %d", i, s.wait, got, s.wantTrims)
					}
					if s.soon {
						idle.Soon()
					}
					if s.stop {
						idle.Stop()
					}
				}
			})
		})
	}
}

// trims counts the trims logged so far; each must have dropped the pages
// of some mapping of the executable, and none may have failed.
func trims(t *testing.T, hook *logtest.Hook) int {
	t.Helper()
	n := 0
	for _, e := range hook.AllEntries() {
		if e.Level <= logrus.WarnLevel {
			t.Fatalf("Idle logged %q: %v", e.Message, e.Data)
		}
		if e.Message != "memory trimmed" {
			continue
		}
		n++
		if m, _ := e.Data["mappings"].(int); m < 1 {
			t.Errorf("trim %d advised %v mappings, want some", n, e.Data["mappings"])
		}
	}
	return n
}
