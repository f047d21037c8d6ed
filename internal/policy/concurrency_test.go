package policy

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentDecisions checks that decisions from many goroutines are
// serialised: each allowed mount at its own target is recorded, and two
// mounts at one target cannot both be allowed.
func TestConcurrentDecisions(t *testing.T) {
	ctx := context.Background()
	p := unitPolicy(t, Options{})
	const n = 8
	var wg sync.WaitGroup
	allowed := make([]bool, 2*n)
	for i := range 2 * n {
		wg.Go(func() {
			// Goroutines i and i+n ask for the same target.
			d, err := p.MountDevice(ctx, MountDevice{Target: fmt.Sprintf("/run/mounts/scsi/m%d", i%n), DeviceHash: layer1})
			if err == nil {
				allowed[i] = true
				d.Commit()
			}
		})
	}
	wg.Wait()
	devices, _ := p.Metadata()["devices"].(map[string]any)
	if len(devices) != n {
		t.Fatalf("%d devices recorded, want %d", len(devices), n)
	}
	for i := range n {
		if allowed[i] == allowed[i+n] {
			t.Errorf("target m%d: allowed %v and %v, want exactly one", i, allowed[i], allowed[i+n])
		}
	}
}
