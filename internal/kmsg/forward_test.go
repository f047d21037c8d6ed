package kmsg

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestForwardRealKmsg writes records to the real kernel log and looks for
// them in the forwarded log: one at the level, one above it.
func TestForwardRealKmsg(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to write to /dev/kmsg")
	}
	var out testutil.LogBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Forward(ctx, DefaultPath, Warning, out.Logger()) }()

	tag := fmt.Sprintf("gcs-kmsg-test-%d", time.Now().UnixNano())
	// The record above the level goes first: once the later one is in the
	// log, the earlier one has been read and passed over. The newline
	// matters: a record without one stays open for continuation and is not
	// readable until the next record arrives.
	for _, rec := range []string{"<6>" + tag + "-info\n", "<3>" + tag + "-err\n"} {
		if err := os.WriteFile(DefaultPath, []byte(rec), 0); err != nil {
			t.Fatalf("write %q to %s: %v", rec, DefaultPath, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), tag+"-err") {
		if time.Now().After(deadline) {
			t.Fatalf("the error record was not forwarded:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(out.String(), tag+"-info") {
		t.Errorf("a record above the level was forwarded:\n%s", out.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Forward: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Forward did not stop when its context ended")
	}
}

func TestForwardMissingDevice(t *testing.T) {
	err := Forward(t.Context(), t.TempDir()+"/none", Warning, testutil.Logger(t))
	if !os.IsNotExist(err) && !strings.Contains(fmt.Sprint(err), "no such file") {
		t.Errorf("Forward of a missing device: %v", err)
	}
}
