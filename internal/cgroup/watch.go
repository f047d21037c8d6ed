package cgroup

import (
	"context"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// DefaultPollInterval is how often WatchMemory reads the cgroup v2 files
// when Options.PollInterval is zero (as the reference).
const DefaultPollInterval = time.Second

// watchers are the goroutines WatchMemory started.
type watchers struct {
	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// start runs fn on a goroutine until ctx ends or stop is called.
func (w *watchers) start(ctx context.Context, fn func(ctx context.Context)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel == nil {
		return // stopped
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		fn(ctx)
	}()
}

// begin derives the watches' context from ctx; it reports false if the
// watches were already begun.
func (w *watchers) begin(ctx context.Context) (context.Context, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return nil, false
	}
	w.started = true
	ctx, w.cancel = context.WithCancel(ctx)
	return ctx, true
}

// stop ends the watches and waits for them.
func (w *watchers) stop() {
	w.mu.Lock()
	cancel := w.cancel
	w.cancel = nil
	w.started = true
	w.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	w.wg.Wait()
}

// crossing follows a usage against a threshold: above means at or above it,
// as the kernel's v1 threshold events count it.
type crossing struct {
	threshold int64
	above     bool
	rises     uint64
}

// set records whether usage is now above the threshold and reports whether
// that changed; a change to above counts one more rise.
func (c *crossing) set(above bool) bool {
	if above == c.above {
		return false
	}
	c.above = above
	if above {
		c.rises++
	}
	return true
}

// logCrossing logs a change of c: a warning for each rise, information
// for each fall back below.
func (m *Manager) logCrossing(c *crossing, usage int64) {
	log := m.log.WithFields(logrus.Fields{
		"cgroup":          m.gcsPath(),
		"threshold-bytes": c.threshold,
		"usage-bytes":     usage,
		"count":           c.rises,
	})
	if c.above {
		log.Warn("memory usage of the gcs cgroup crossed its threshold")
		return
	}
	log.Info("memory usage of the gcs cgroup fell back below its threshold")
}

// logOOM logs OOM events of the pods cgroup: events is how many were seen
// at once, kills the kernel's count of processes killed so far.
func (m *Manager) logOOM(events, kills uint64) {
	m.log.WithFields(logrus.Fields{
		"cgroup":    m.podsPath(),
		"events":    events,
		"oom-kills": kills,
	}).Warn("out of memory in the pods cgroup")
}
