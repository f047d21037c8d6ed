package main

// The fake GCS in this file is the far end of the bridge, which gcsctl
// alone cannot reach: just enough of a peer (negotiation state, DumpStacks,
// canned answers to the container and ModifySettings requests, one error
// reply, E_NOTIMPL for the rest) to run commands in-process against a real
// unix socket and see the requests they send. It is a test boundary, not a
// model of the daemon; the real GCS is driven in daemon_test.go.

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// fakeStacks is the GuestStacks text of the fake.
const fakeStacks = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:12 +0x1d\n"

// fakeProperties is the fake's answer to every GetProperties.
const fakeProperties = `{"ProcessList":[{"ProcessId":42},{"ProcessId":43}],` +
	`"LCOWMetrics":{"pids":{"current":2},"cpu":{"usage":{"total":51234567}},` +
	`"memory":{"usage":{"limit":9223372036854771712,"usage":3145728}}}}`

// fakeExitCode is the fake's answer to every WaitForProcess.
const fakeExitCode = 7

// seenRequest is one request the fake received.
type seenRequest struct {
	header prot.MessageHeader
	body   []byte
}

// fakeGCS records the requests it serves.
type fakeGCS struct {
	mu   sync.Mutex
	seen []seenRequest
	// execute, if set, answers ExecuteProcess (E_NOTIMPL without it);
	// set before the fake serves.
	execute func(req *prot.ContainerExecuteProcess) any
}

// requests returns the requests received so far.
func (f *fakeGCS) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// types returns the types of the requests received so far.
func (f *fakeGCS) types() []prot.MessageIdentifier {
	var ts []prot.MessageIdentifier
	for _, r := range f.requests() {
		ts = append(ts, r.header.Type)
	}
	return ts
}

// listenFake serves every connection made to a fresh unix socket and
// returns the socket's address.
func listenFake(t *testing.T) (*fakeGCS, string) {
	t.Helper()
	f := &fakeGCS{}
	return f, listenFakeWith(t, f)
}

// listenFakeWith is listenFake serving with f.
func listenFakeWith(t *testing.T, f *fakeGCS) string {
	t.Helper()
	return listenServe(t, f.serve)
}

// listenServe runs serve for every connection made to a fresh unix socket
// and returns the socket's address.
func listenServe(t *testing.T, serve func(conn net.Conn)) string {
	t.Helper()
	path := socketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = conn.Close() })
			go serve(conn)
		}
	}()
	return "unix://" + path
}

// dialFake connects a fake GCS to path once something listens there, as
// the real GCS dials the host.
func dialFake(t *testing.T, path string) *fakeGCS {
	t.Helper()
	f := &fakeGCS{}
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			conn, err := net.Dial("unix", path)
			if err != nil {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			defer conn.Close()
			f.serve(conn)
			return
		}
	}()
	return f
}

// serve answers the requests of one connection, in order.
func (f *fakeGCS) serve(conn net.Conn) {
	negotiated := false
	for {
		h, body, err := prot.ReadMessage(conn, 1<<20)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, seenRequest{h, body})
		f.mu.Unlock()
		b, _ := json.Marshal(f.answer(&negotiated, h.Type, body))
		if _, err := conn.Write(prot.AppendMessage(nil, prot.ResponseIdentifier(h.Type), h.ID, b)); err != nil {
			return
		}
	}
}

// answer builds the response body of one request.
func (f *fakeGCS) answer(negotiated *bool, typ prot.MessageIdentifier, body []byte) any {
	var base prot.MessageBase
	_ = json.Unmarshal(body, &base)
	fail := func(err error) any { return prot.ErrorResponse(base.ActivityID, err) }
	switch {
	case typ == prot.ComputeSystemNegotiateProtocolV1 && !*negotiated:
		var req prot.NegotiateProtocol
		if err := prot.UnmarshalJSON(body, &req); err != nil {
			return fail(err)
		}
		if req.MinimumVersion > 4 || req.MaximumVersion < 4 {
			return fail(prot.NewError(prot.HrVmcomputeUnsupportedProt))
		}
		*negotiated = true
		return &prot.NegotiateProtocolResponse{
			MessageResponseBase: prot.MessageResponseBase{ActivityID: base.ActivityID},
			Version:             4,
			Capabilities:        prot.LinuxCapabilities(),
		}
	case !*negotiated:
		return fail(prot.NewError(prot.HrNotImpl))
	case typ == prot.ComputeSystemDumpStacksV1:
		return &prot.DumpStacksResponse{
			MessageResponseBase: prot.MessageResponseBase{ActivityID: base.ActivityID},
			GuestStacks:         fakeStacks,
		}
	case typ == prot.ComputeSystemStartV1 && base.ContainerID == "missing":
		return fail(prot.Errorf(prot.HrVmcomputeSystemNotFound, "container %q not found", base.ContainerID))
	case typ == prot.ComputeSystemGetPropertiesV1:
		return &prot.ContainerGetPropertiesResponse{
			MessageResponseBase: prot.MessageResponseBase{ActivityID: base.ActivityID},
			Properties:          fakeProperties,
		}
	case typ == prot.ComputeSystemExecuteProcessV1 && f.execute != nil:
		var req prot.ContainerExecuteProcess
		if err := prot.UnmarshalJSON(body, &req); err != nil {
			return fail(err)
		}
		return f.execute(&req)
	case typ == prot.ComputeSystemWaitForProcessV1:
		return &prot.ContainerWaitForProcessResponse{
			MessageResponseBase: prot.MessageResponseBase{ActivityID: base.ActivityID},
			ExitCode:            fakeExitCode,
		}
	case typ == prot.ComputeSystemModifySettingsV1, typ == prot.ComputeSystemSignalProcessV1,
		typ == prot.ComputeSystemShutdownGracefulV1, typ == prot.ComputeSystemShutdownForcedV1,
		typ == prot.ComputeSystemDeleteContainerStateV1:
		return &prot.MessageResponseBase{ActivityID: base.ActivityID}
	}
	return fail(prot.NewError(prot.HrNotImpl))
}

// socketPath returns a unix socket path in a fresh directory that is short
// enough for sun_path.
func socketPath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if len(dir) > 80 {
		var err error
		if dir, err = os.MkdirTemp("", "gcsctl"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
	}
	return filepath.Join(dir, "bridge.sock")
}
