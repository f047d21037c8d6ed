package main

import (
	"context"
	"testing"
	"time"
)

// A create may take the GCS up to its own runtime bound (2m by default):
// unless --timeout was given, gcsctl waits that long for its answer, not
// its default 30s, so that a slow create under load is not given up on
// (and cleaned up after) while the GCS still works on it.
func TestCreateContextLimit(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		set     bool
		want    time.Duration // 0: no deadline
	}{
		{"default --timeout", defaultTimeout, false, createAnswerLimit},
		{"--timeout given, shorter", 5 * time.Second, true, 5 * time.Second},
		{"--timeout given, longer", 10 * time.Minute, true, 10 * time.Minute},
		{"--timeout 0", 0, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &session{g: globals{timeout: tt.timeout, timeoutSet: tt.set}}
			before := time.Now()
			ctx, cancel := s.createContext(context.Background())
			defer cancel()
			dl, ok := ctx.Deadline()
			if tt.want == 0 {
				if ok {
					t.Fatalf("deadline in %s, want none", dl.Sub(before))
				}
				return
			}
			if !ok {
				t.Fatalf("no deadline, want %s", tt.want)
			}
			if got := dl.Sub(before); got < tt.want || got > tt.want+time.Second {
				t.Errorf("deadline in %s, want %s", got, tt.want)
			}
		})
	}
}
