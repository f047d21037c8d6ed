package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// listenMute serves a fresh unix socket with a GCS that reads every
// request and answers none, as a wedged daemon would. Each request's
// header is sent on the returned channel (dropped when nobody reads).
func listenMute(t *testing.T) (string, <-chan prot.MessageHeader) {
	t.Helper()
	got := make(chan prot.MessageHeader, 16)
	addr := listenServe(t, func(conn net.Conn) {
		for {
			h, _, err := prot.ReadMessage(conn, 1<<20)
			if err != nil {
				return
			}
			select {
			case got <- h:
			default:
			}
		}
	})
	return addr, got
}

// TestTimeoutMessages: a request, a connection or a wait that outlives
// its time limit is reported with what timed out and the flag that sets
// the limit, never as a bare "context deadline exceeded".
func TestTimeoutMessages(t *testing.T) {
	addr, _ := listenMute(t)
	nobody := "unix://" + socketPath(t) // gcsctl --listen there: no GCS dials in
	tests := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"negotiate", []string{"--addr", addr, "--timeout", "100ms", "negotiate"},
			[]string{"NegotiateProtocol", "no answer within --timeout 100ms"}},
		{"a request", []string{"--addr", addr, "--timeout", "100ms", "--no-negotiate", "stacks"},
			[]string{"DumpStacks", "no answer within --timeout 100ms"}},
		{"a request of a command", []string{"--addr", addr, "--timeout", "100ms", "--no-negotiate", "rm", "c1"},
			[]string{"DeleteContainerState", "no answer within --timeout 100ms"}},
		{"wait", []string{"--addr", addr, "--timeout", "100ms", "--no-negotiate", "wait", "c1", "5"},
			[]string{"WaitForProcess", "no answer within --timeout 100ms"}},
		{"listen", []string{"--addr", nobody, "--listen", "--timeout", "100ms", "negotiate"},
			[]string{"wait for the GCS to connect", "no connection within --timeout 100ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			code := run(t.Context(), tt.args, nil, &stdout, &stderr)
			msg := stderr.String()
			if code == 0 || strings.Contains(msg, "context deadline exceeded") {
				t.Errorf("gcsctl %v: exit %d, stderr %q: want a failure that names the time limit", tt.args, code, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("gcsctl %v: stderr %q does not say %q", tt.args, msg, w)
				}
			}
		})
	}
}

// TestInterruptMessage: a command interrupted while it waits for an
// answer says that it was interrupted, not "context canceled".
func TestInterruptMessage(t *testing.T) {
	addr, got := listenMute(t)
	signals := make(chan os.Signal, 1)
	go func() {
		<-got // the request is on its way: interrupt the wait for its answer
		signals <- os.Interrupt
	}()
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	code := runWithSignals(ctx, []string{"--addr", addr, "--timeout", "0", "--no-negotiate", "stacks"}, signals, nil, &stdout, &stderr)
	msg := stderr.String()
	if code == 0 || strings.Contains(msg, "context canceled") || !strings.Contains(msg, "DumpStacks") || !strings.Contains(msg, "interrupted") {
		t.Errorf("exit %d, stderr %q: want a failure saying DumpStacks was interrupted", code, msg)
	}
}

// TestRunCleanupOutlivesTimeout: when run's Create outlives --timeout, the
// GCS may still create the container; run then removes it, and those
// requests are bounded by gcsctl's cleanup limit, not by the --timeout that
// just ran out (which once left the container behind). The GCS here
// answers in order and takes longer than --timeout over Create, so every
// cleanup request waits behind it.
func TestRunCleanupOutlivesTimeout(t *testing.T) {
	seen := make(chan prot.MessageIdentifier, 32)
	addr := listenServe(t, func(conn net.Conn) {
		for {
			h, body, err := prot.ReadMessage(conn, 1<<20)
			if err != nil {
				return
			}
			select {
			case seen <- h.Type:
			default:
			}
			var base prot.MessageBase
			_ = json.Unmarshal(body, &base)
			var resp any = &prot.MessageResponseBase{ActivityID: base.ActivityID}
			switch h.Type {
			case prot.ComputeSystemNegotiateProtocolV1:
				resp = &prot.NegotiateProtocolResponse{MessageResponseBase: prot.MessageResponseBase{ActivityID: base.ActivityID},
					Version: 4, Capabilities: prot.LinuxCapabilities()}
			case prot.ComputeSystemGetPropertiesV1:
				resp = prot.ErrorResponse(base.ActivityID, prot.NewError(prot.HrVmcomputeSystemNotFound))
			case prot.ComputeSystemCreateV1:
				time.Sleep(time.Second) // well beyond --timeout
			}
			b, _ := json.Marshal(resp)
			if _, err := conn.Write(prot.AppendMessage(nil, prot.ResponseIdentifier(h.Type), h.ID, b)); err != nil {
				return
			}
		}
	})
	var stdout, stderr syncBuffer
	code := run(t.Context(), []string{"--addr", addr, "--root", t.TempDir(), "--timeout", "200ms",
		"run", "--id", "c1", t.TempDir(), "true"}, nil, &stdout, &stderr)
	msg := stderr.String()
	if code != exitFailed || !strings.Contains(msg, "create container c1") || !strings.Contains(msg, "no answer within --timeout 200ms") {
		t.Errorf("exit %d, stderr %q: want %d and the Create that timed out", code, msg, exitFailed)
	}
	if strings.Contains(msg, "remove container c1") {
		t.Errorf("the cleanup failed: %q", msg)
	}
	var deletes int
	for len(seen) > 0 {
		if <-seen == prot.ComputeSystemDeleteContainerStateV1 {
			deletes++
		}
	}
	if deletes == 0 {
		t.Error("the GCS got no DeleteContainerState")
	}
}
