package guest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// TestShutdownPowersOffVM is the last check of make vm-test: Shutdown of
// the null container makes the GCS power the VM off. Success is qemu
// exiting, which the host-side runner sees; this test only fails when the
// VM is still running long after the request.
func TestShutdownPowersOffVM(t *testing.T) {
	h := vm(t)
	if os.Getenv(envShutdown) != "1" {
		t.Skipf("powers the VM off: runs alone as the last step (%s=1)", envShutdown)
	}
	c := h.client(t)
	// The runner expects this line right before the request.
	fmt.Println("VMTEST-SHUTDOWN-REQUESTED")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := c.ShutdownForced(ctx, prot.NullContainerID)
	// The host expects no answer; the GCS may send one before it powers
	// off. Either way the VM must go away.
	t.Logf("Shutdown returned %v; waiting for the power-off", err)
	time.Sleep(45 * time.Second)
	t.Fatalf("the VM is still running 45s after Shutdown of the null container (the request returned %v)", err)
}
