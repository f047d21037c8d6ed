package cgroup

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// holdMove gives m a move into gcs that has not ended, as a kernel stuck
// in the grace period would leave it, whose waits last at most limit
// (zero: ReadyTimeout). The move ends, without error, when the test does.
func holdMove(t *testing.T, m *Manager, limit time.Duration) {
	t.Helper()
	m.ready = ready{done: make(chan struct{}), limit: limit}
	t.Cleanup(func() {
		select {
		case <-m.ready.done:
		default:
			m.ready.finish(nil)
		}
	})
}

// TestCloseBoundsTheWaitForTheMove: Close gives up on a move into gcs that
// does not end, and leaves the cgroups, which the move may still need.
func TestCloseBoundsTheWaitForTheMove(t *testing.T) {
	m, _ := newTestManager(t, Options{})
	holdMove(t, m, time.Millisecond)
	err := m.Close()
	if err == nil || !strings.Contains(err.Error(), "has not ended") {
		t.Fatalf("Close with the move held: %v, want the move has not ended", err)
	}
	if again := m.Close(); again == nil || again.Error() != err.Error() {
		t.Errorf("second Close: %v, want %v", again, err)
	}
	for _, mnt := range m.ownedMounts() {
		if dir := filepath.Join(mnt, m.gcsPath()); !exists(dir) {
			t.Errorf("%s removed while the move may still need it", dir)
		}
	}
}

// TestWatchMemoryHonoursCtx: WatchMemory, waiting for a move into gcs
// that has not ended, returns its ctx's error once ctx ends.
func TestWatchMemoryHonoursCtx(t *testing.T) {
	tests := []struct {
		name   string
		ctx    func(t *testing.T) context.Context
		wantIs error
	}{
		{"cancelled", func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}, context.Canceled},
		{"past its deadline", func(t *testing.T) context.Context {
			ctx, cancel := context.WithDeadline(t.Context(), time.Unix(0, 0))
			t.Cleanup(cancel)
			return ctx
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestManager(t, Options{GCSMemoryThreshold: 32 << 20})
			holdMove(t, m, 0)
			err := m.WatchMemory(tt.ctx(t))
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("WatchMemory with the move held: %v, want %v", err, tt.wantIs)
			}
		})
	}
}
