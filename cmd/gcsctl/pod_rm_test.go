package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// TestPodRmGCSGone: pod rm against a GCS that goes away after negotiation
// ends with an error naming what failed; it once took every failed lookup
// of a workload for a workload that exists and looked for the next one,
// forever.
func TestPodRmGCSGone(t *testing.T) {
	f := &fakeGCS{}
	addr := listenServe(t, func(conn net.Conn) {
		defer conn.Close()
		h, body, err := prot.ReadMessage(conn, 1<<20)
		if err != nil {
			return
		}
		negotiated := false
		b, _ := json.Marshal(f.answer(&negotiated, h.Type, body))
		_, _ = conn.Write(prot.AppendMessage(nil, prot.ResponseIdentifier(h.Type), h.ID, b))
	})
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var stdout, stderr syncBuffer
		code := run(ctx, []string{"--addr", addr, "--root", t.TempDir(), "pod", "rm", "p1"}, nil, &stdout, &stderr)
		done <- result{code, stderr.String()}
	}()
	select {
	case r := <-done:
		// The GCS's end is a closed or reset connection, by the timing.
		if r.code != exitFailed || !strings.Contains(r.stderr, "pod rm p1: look for its sandbox: gcs: ComputeSystemGetPropertiesV1: gcs: ") {
			t.Errorf("exit %d, stderr %q: want %d and the failed lookup", r.code, r.stderr, exitFailed)
		}
	case <-time.After(commandTimeout + 10*time.Second): // a hang, not a speed limit
		t.Fatal("pod rm does not end when the GCS went away")
	}
}

// TestDaemonPodRmUnknown: pod rm of a pod the GCS does not know fails as rm
// of an unknown container does, instead of saying nothing and exiting 0.
func TestDaemonPodRmUnknown(t *testing.T) {
	d := startDaemon(t, "runc")
	if _, stderr := d.mustCtl(t, exitFailed, "", "pod", "rm", "nosuch"); !strings.Contains(stderr, "nosuch") || !strings.Contains(stderr, "not found") {
		t.Errorf("pod rm nosuch: stderr %q, want that the pod is not found", stderr)
	}
}
