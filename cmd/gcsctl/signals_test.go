package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/transport"
)

// fakePid is the pid the fake's ExecuteProcess gives the process.
const fakePid = 42

// TestInterruptWhileStarting: an interrupt that comes while ExecuteProcess
// is being answered, when the process may already run and print, is the
// process's: it is sent to it once its pid is known, never taken for a
// reason to kill it; a second one abandons the start. The fake sends the
// interrupts from inside its ExecuteProcess, so the order is fixed.
func TestInterruptWhileStarting(t *testing.T) {
	tests := []struct {
		name       string
		interrupts int     // sent while ExecuteProcess is answered
		code       int     // gcsctl's exit code
		signals    []int32 // the signals of the SignalProcess requests
	}{
		{"the first is sent once started", 1, fakeExitCode, []int32{int32(syscall.SIGINT)}},
		{"a second abandons the start", 2, exitFailed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			relay := "unix://" + filepath.Join(filepath.Dir(socketPath(t)), "relay")
			dialer, err := transport.ParseRelay(relay)
			if err != nil {
				t.Fatal(err)
			}
			signals := make(chan os.Signal) // a send returns once gcsctl took it
			var stdout, stderr syncBuffer
			noticed := stderr.notifyOn("sent to the process once started")
			abandoned := make(chan struct{}) // gcsctl returned
			f := &fakeGCS{execute: func(req *prot.ContainerExecuteProcess) any {
				gaveUp := prot.ErrorResponse(req.ActivityID, prot.NewError(prot.HrFail))
				for range tt.interrupts {
					signals <- os.Interrupt
					select {
					case <-noticed: // the first was taken
					case <-abandoned:
						return gaveUp
					}
				}
				if tt.interrupts > 1 {
					<-abandoned
					return gaveUp
				}
				// As the GCS: connect the process's stdio, then answer.
				relays := req.Settings.VsockStdioRelaySettings
				for _, port := range []uint32{relays.StdOut, relays.StdErr} {
					c, err := dialer.Dial(t.Context(), port)
					if err != nil {
						t.Errorf("connect relay port %d: %v", port, err)
						continue
					}
					_ = c.Close()
				}
				return &prot.ContainerExecuteProcessResponse{
					MessageResponseBase: prot.MessageResponseBase{ActivityID: req.ActivityID},
					ProcessID:           fakePid,
				}
			}}
			addr := listenFakeWith(t, f)
			code := runWithSignals(t.Context(), []string{"--addr", addr, "--relay", relay, "exec", "c1", "sh"}, signals, nil, &stdout, &stderr)
			close(abandoned)
			if code != tt.code {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d", code, stdout.String(), stderr.String(), tt.code)
			}
			var sent []int32
			for _, r := range f.requests() {
				if r.header.Type != prot.ComputeSystemSignalProcessV1 {
					continue
				}
				var req prot.ContainerSignalProcess
				if err := json.Unmarshal(r.body, &req); err != nil || req.ProcessID != fakePid {
					t.Errorf("SignalProcess %s (%v); want one to process %d", r.body, err, fakePid)
				}
				sent = append(sent, req.Options.Signal)
			}
			if !slices.Equal(sent, tt.signals) {
				t.Errorf("signals sent %v, want %v; stderr %q", sent, tt.signals, stderr.String())
			}
		})
	}
}
