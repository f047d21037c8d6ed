package daemon

import (
	"testing"
	"time"
)

func TestAdapterTimeout(t *testing.T) {
	for _, tc := range []struct{ device, want time.Duration }{
		{0, 5 * time.Second},
		{10 * time.Second, 5 * time.Second},
		{5 * time.Second, 5 * time.Second},
		{2 * time.Second, 2 * time.Second},
	} {
		if got := adapterTimeout(tc.device); got != tc.want {
			t.Errorf("adapterTimeout(%v) = %v, want %v", tc.device, got, tc.want)
		}
	}
}
