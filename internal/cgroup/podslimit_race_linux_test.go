package cgroup

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRecomputePodsLimitRacingHotAdd recomputes the pods memory limit from
// two goroutines, as the periodic recompute (-pods-mem-interval) and a
// memory hot-add request do, the first reading the total RAM before the
// hot-add and the second after it. The limit left in the real pods cgroup
// must be the one of the larger total: a stale total written last would
// keep the hot-added memory from the containers until the next period.
// The total RAM is faked (Manager.ram): the machine cannot hot-add memory.
func TestRecomputePodsLimitRacingHotAdd(t *testing.T) {
	const reserve = 128 << 20
	const before, after = 1 << 30, 2 << 30
	m, _ := newTestManager(t, Options{RootMemoryReserve: reserve})

	var calls atomic.Int32
	firstRead := make(chan struct{})
	secondDone := make(chan struct{})
	m.ram = func() (int64, error) {
		if calls.Add(1) == 1 {
			close(firstRead)
			// Hold the stale total until the hot-add recompute is done,
			// or long enough to show that it waits for this one.
			select {
			case <-secondDone:
			case <-time.After(2 * time.Second):
			}
			return before, nil
		}
		return after, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		errs <- m.RecomputePodsMemoryLimit()
	}()
	<-firstRead
	go func() {
		defer wg.Done()
		defer close(secondDone)
		errs <- m.RecomputePodsMemoryLimit()
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, want := memoryLimit(t, m, m.podsPath()), pageDown(after-reserve); got != want {
		t.Errorf("pods memory limit = %d after the hot-add, want %d (the stale total gives %d)",
			got, want, pageDown(before-reserve))
	}
}
