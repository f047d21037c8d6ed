package cgroup

import "testing"

func TestCrossing(t *testing.T) {
	// Each step sets whether usage is above the threshold; want is whether
	// that is a change, rises the running count of changes to above.
	steps := []struct {
		above, want bool
		rises       uint64
	}{
		{false, false, 0},
		{true, true, 1},
		{true, false, 1},
		{false, true, 1},
		{false, false, 1},
		{true, true, 2},
	}
	c := &crossing{threshold: 10}
	for i, s := range steps {
		if got := c.set(s.above); got != s.want || c.rises != s.rises || c.above != s.above {
			t.Fatalf("step %d: set(%v) = %v, rises %d, above %v; want %v, %d, %v", i, s.above, got, c.rises, c.above, s.want, s.rises, s.above)
		}
	}
}
