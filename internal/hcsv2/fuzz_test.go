package hcsv2

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// One fuzz target per message the daemon routes (internal/daemon/routes.go
// and routes.go here), each feeding arbitrary bodies through the real
// bridge, Mux and Host (see fuzzhost_test.go) and checking the invariants
// of fuzzcheck_test.go. `make fuzz` runs each for FUZZTIME; `go test` runs
// their seed corpora.

func FuzzCreate(f *testing.F) { fuzzMessage(f, prot.ComputeSystemCreateV1) }
func FuzzStart(f *testing.F)  { fuzzMessage(f, prot.ComputeSystemStartV1) }
func FuzzShutdownGraceful(f *testing.F) {
	fuzzMessage(f, prot.ComputeSystemShutdownGracefulV1)
}
func FuzzShutdownForced(f *testing.F) { fuzzMessage(f, prot.ComputeSystemShutdownForcedV1) }
func FuzzExecuteProcess(f *testing.F) { fuzzMessage(f, prot.ComputeSystemExecuteProcessV1) }
func FuzzWaitForProcess(f *testing.F) { fuzzMessage(f, prot.ComputeSystemWaitForProcessV1) }
func FuzzSignalProcess(f *testing.F)  { fuzzMessage(f, prot.ComputeSystemSignalProcessV1) }
func FuzzResizeConsole(f *testing.F)  { fuzzMessage(f, prot.ComputeSystemResizeConsoleV1) }
func FuzzGetProperties(f *testing.F)  { fuzzMessage(f, prot.ComputeSystemGetPropertiesV1) }
func FuzzModifySettings(f *testing.F) { fuzzMessage(f, prot.ComputeSystemModifySettingsV1) }
func FuzzDumpStacks(f *testing.F)     { fuzzMessage(f, prot.ComputeSystemDumpStacksV1) }
func FuzzDeleteContainerState(f *testing.F) {
	fuzzMessage(f, prot.ComputeSystemDeleteContainerStateV1)
}
func FuzzNegotiateProtocol(f *testing.F) { fuzzMessage(f, prot.ComputeSystemNegotiateProtocolV1) }

// fixtureID is the harness's standing container, recreated whenever an
// input deleted it, so that bodies naming it ($CID) reach a live one.
const fixtureID = "fuzzc"

// fuzzMessage seeds and runs the fuzz target of message type typ.
func fuzzMessage(f *testing.F, typ prot.MessageIdentifier) {
	if testing.Short() {
		f.Skip("the handler fuzz harness starts processes; skipped in -short")
	}
	for _, body := range captureSeeds(f, typ) {
		f.Add(body)
	}
	for _, body := range extraSeeds()[typ] {
		f.Add(body)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"ContainerId":"$CID"`))
	fh := newFuzzHost(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fh.input(t, typ, body)
	})
}

// input runs one body: on a fresh un-negotiated connection for
// NegotiateProtocol, otherwise on the negotiated one, with the standing
// container in place.
func (fh *fuzzHost) input(t *testing.T, typ prot.MessageIdentifier, body []byte) {
	if typ == prot.ComputeSystemNegotiateProtocolV1 {
		fh.connect(t, false)
	} else {
		fh.ensureFixture(t)
	}
	body = fh.expand(body)
	snap := snapshotOutside(t, fh.root, body)
	ex := fh.call(t, typ, body)
	ex.check(t)
	snap.check(t, typ, body)
}

// ensureFixture (re)creates and starts the standing container if an
// earlier input deleted or tore it down.
func (fh *fuzzHost) ensureFixture(t *testing.T) {
	t.Helper()
	if c := fh.fixtureContainer(); c != nil && c == fh.fixture {
		return
	} else if c != nil {
		// An input made a container of that id: replace it.
		fh.call(t, prot.ComputeSystemDeleteContainerStateV1, []byte(`{"ContainerId":"`+fixtureID+`"}`))
	}
	ex := fh.call(t, prot.ComputeSystemCreateV1, fh.expand(fixtureCreate(t)))
	if ex.resp.Result != 0 {
		t.Fatalf("create the standing container: %s", ex.resp.ErrorMessage)
	}
	ex = fh.call(t, prot.ComputeSystemExecuteProcessV1,
		[]byte(`{"ContainerId":"`+fixtureID+`","Settings":{"ProcessParameters":"{}","VsockStdioRelaySettings":{}}}`))
	var started prot.ContainerExecuteProcessResponse
	if ex.resp.Result != 0 || json.Unmarshal(ex.raw, &started) != nil {
		t.Fatalf("start the standing container: %s", ex.resp.ErrorMessage)
	}
	fh.fixture, fh.fixturePid = fh.fixtureContainer(), started.ProcessID
}

func (fh *fuzzHost) fixtureContainer() *Container {
	fh.host.mu.Lock()
	defer fh.host.mu.Unlock()
	return fh.host.containers[fixtureID]
}

// expand fills in the placeholders of a body.
func (fh *fuzzHost) expand(body []byte) []byte {
	body = bytes.ReplaceAll(body, []byte("$ROOT"), []byte(fh.root))
	body = bytes.ReplaceAll(body, []byte("$CID"), []byte(fixtureID))
	return bytes.ReplaceAll(body, []byte("$PID"), []byte(strconv.FormatUint(uint64(fh.fixturePid), 10)))
}

// fixtureCreate is the first captured Create of a container that the
// captures' reference GCS accepted, a plain one with its own bundle.
func fixtureCreate(tb testing.TB) []byte {
	for _, body := range captureSeeds(tb, prot.ComputeSystemCreateV1) {
		if bytes.Contains(body, []byte(`"ContainerId":"$CID"`)) && bytes.Contains(body, []byte(`\"Major\":2,\"Minor\":1`)) &&
			bytes.Contains(body, []byte(`OciBundlePath`)) && !bytes.Contains(body, []byte(`\"terminal\":true`)) {
			return body
		}
	}
	tb.Fatal("no captured Create to build the standing container from")
	return nil
}
