package test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// An ExecuteProcess that cannot start a container's init because its
// stdio cannot be connected (the host's port is already gone) fails with
// nothing started, and leaves the init startable: the host's retry starts
// it, and its output, exit code and notification all arrive. Before, the
// first attempt marked the init started, the retry was refused "already
// started" and the init never ran, its exit never published (soak S1's
// shape: an init start cut off mid-way).
func TestHardeningInitStartRetry(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("retry")
		if err := h.create(id, specFor("sh", "-c", "echo up; exit 5")); err != nil {
			t.Fatal(err)
		}
		if err := h.c.Start(testCtx(t), id); err != nil {
			t.Fatal(err)
		}
		port, ln, err := h.relay.Listen(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		_, err = h.c.ExecuteProcess(testCtx(t), id, &prot.ProcessParameters{CreateStdOutPipe: true},
			prot.ExecuteProcessVsockStdioRelaySettings{StdOut: port})
		if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "stdio") {
			t.Fatalf("init start with its stdout port gone: %v, want E_FAIL about its stdio", err)
		}
		s := h.listenStdio(false, true, false)
		out := h.readAll(s.out)
		pid, err := h.c.ExecuteProcess(testCtx(t), id, h.params(s), s.settings)
		if err != nil {
			t.Fatalf("retried init start: %v", err)
		}
		select {
		case got := <-out:
			if got != "up\n" {
				t.Errorf("init output %q, want %q", got, "up\n")
			}
		case <-time.After(30 * time.Second):
			t.Error("no init output")
		}
		if code := h.wait(id, pid); code != 5 {
			t.Errorf("init exit code %d, want 5", code)
		}
		if n := h.notification(id); n.Type != prot.NtUnexpectedExit {
			t.Errorf("notification %s, want UnexpectedExit", n.Type)
		}
	})
}
