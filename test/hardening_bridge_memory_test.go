package test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// The daemon's memory under request load must be bounded by its design, not
// by a cgroup: these tests lift the /gcs limit and measure the daemon's peak
// resident set (VmHWM, reset through clear_refs just before the load).

// bridgeResetPeak resets the daemon's VmHWM to its current RSS.
func bridgeResetPeak(t *testing.T, pid int) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Fatalf("reset the peak RSS: %v", err)
	}
}

// bridgeStatusKiB reads one kB field of /proc/PID/status.
func bridgeStatusKiB(t *testing.T, pid int, field string) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// bridgeSleeper starts a utility-VM process that runs until the test kills
// it, and returns its pid; the daemon's waits on it block until then.
func bridgeSleeper(t *testing.T, addr string) uint32 {
	t.Helper()
	c := dialGCS(t, addr)
	if _, err := c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	pid, err := c.ExecuteProcess(testCtx(t), prot.NullContainerID,
		&prot.ProcessParameters{CommandArgs: []string{"sleep", "100000"}}, prot.ExecuteProcessVsockStdioRelaySettings{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(int(pid), syscall.SIGKILL) })
	c.Close()
	return pid
}

// bridgeWaitBody is a WaitForProcess body on the utility-VM process pid,
// padded with an unknown key to pad bytes.
func bridgeWaitBody(pid uint32, pad int) string {
	body := fmt.Sprintf(`{"ContainerId":"%s","ActivityId":"%s","ProcessId":%d,"TimeoutInMs":4294967295`, prot.NullContainerID, prot.NullContainerID, pid)
	if pad > 0 {
		body += `,"Padding":"` + strings.Repeat("p", pad) + `"`
	}
	return body + "}\n"
}

// bridgeExpectWaits reads until every id in ids got its WaitForProcess
// reply with exit code want, or "not found" for a wait that lost the race
// with the one that released the process; other replies are ignored.
func bridgeExpectWaits(t *testing.T, w *bridgeWire, ids map[prot.SequenceID]bool, want uint32) {
	t.Helper()
	for len(ids) > 0 {
		h, b, err := w.recv()
		if err != nil {
			t.Fatalf("%d waits unanswered: %v", len(ids), err)
		}
		if h.Type != prot.ComputeSystemResponseWaitForProcessV1 {
			continue
		}
		var r prot.ContainerWaitForProcessResponse
		err = json.Unmarshal(b, &r)
		released := prot.HResult(r.Result) == prot.HrElementNotFound
		if err != nil || !ids[h.ID] || !released && (r.Result != 0 || r.ExitCode != want) {
			t.Fatalf("wait reply %d: %s (%v)", h.ID, b, err)
		}
		delete(ids, h.ID)
	}
}

// Twelve waits whose bodies are padded to 4 MiB: a wait keeps what it
// decoded, not its body, and bodies in flight are bounded in bytes.
func TestBridgeWaitsWithLargeBodiesStayBounded(t *testing.T) {
	const waits, bound = 12, 32 << 10 // KiB
	g, addr := listenGCS(t, "-gcs-mem-limit-bytes", "0")
	pid := bridgeSleeper(t, addr)
	w := bridgeDial(t, addr)
	w.negotiate(1)
	before := bridgeStatusKiB(t, g.Pid(), "VmRSS")
	bridgeResetPeak(t, g.Pid())
	ids := make(map[prot.SequenceID]bool)
	for i := 0; i < waits; i++ {
		id := prot.SequenceID(100 + i)
		ids[id] = true
		if err := w.send(prot.ComputeSystemWaitForProcessV1, id, bridgeWaitBody(pid, bridgeDefaultMaxMessage-1024)); err != nil {
			t.Fatal(err)
		}
	}
	// Once DumpStacks is answered every wait has been read and parked.
	if err := w.send(prot.ComputeSystemDumpStacksV1, 2, `{}`); err != nil {
		t.Fatal(err)
	}
	for {
		h, _, err := w.recv()
		if err != nil {
			t.Fatal(err)
		}
		if h.ID == 2 {
			break
		}
		t.Fatalf("unexpected reply %+v", h)
	}
	peak := bridgeStatusKiB(t, g.Pid(), "VmHWM")
	syscall.Kill(int(pid), syscall.SIGKILL)
	bridgeExpectWaits(t, w, ids, 0xffffffff)
	t.Logf("RSS %d KiB before, peak %d KiB with %d waits of 4 MiB bodies", before, peak, waits)
	if os.Getenv("GCS_E2E_RACE") != "" {
		return // the race detector's own memory makes the bound meaningless
	}
	if peak-before > bound {
		t.Fatalf("peak RSS grew by %d KiB, bound %d KiB", peak-before, bound)
	}
}

// bridgeDefaultMaxMessage is the daemon's default bound on an inbound
// message.
const bridgeDefaultMaxMessage = 4 << 20

// 2,000 DumpStacks, 128 in flight, while the daemon has hundreds of
// goroutines (parked waits): dumps are taken one at a time into a bounded
// buffer and shared.
func TestBridgeDumpStacksBurstStaysBounded(t *testing.T) {
	const parked, total, inFlight, bound = 300, 2000, 128, 32 << 10 // KiB
	g, addr := listenGCS(t, "-gcs-mem-limit-bytes", "0")
	pid := bridgeSleeper(t, addr)
	w := bridgeDial(t, addr)
	w.negotiate(1)
	ids := make(map[prot.SequenceID]bool)
	for i := 0; i < parked; i++ {
		id := prot.SequenceID(100000 + i)
		ids[id] = true
		if err := w.send(prot.ComputeSystemWaitForProcessV1, id, bridgeWaitBody(pid, 0)); err != nil {
			t.Fatal(err)
		}
	}
	before := bridgeStatusKiB(t, g.Pid(), "VmRSS")
	bridgeResetPeak(t, g.Pid())
	credit := make(chan struct{}, inFlight)
	sendErr := make(chan error, 1)
	go func() {
		for i := 0; i < total; i++ {
			credit <- struct{}{}
			if err := w.send(prot.ComputeSystemDumpStacksV1, prot.SequenceID(10+i), `{"ActivityId":"`+prot.NullContainerID+`"}`); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- nil
	}()
	for got := 0; got < total; {
		h, b, err := w.recv()
		if err != nil {
			t.Fatalf("after %d replies: %v", got, err)
		}
		if h.Type != prot.ComputeSystemResponseDumpStacksV1 || h.ID < 10 || h.ID >= 10+total {
			t.Fatalf("unexpected reply %+v", h)
		}
		var r prot.DumpStacksResponse
		if err := json.Unmarshal(b, &r); err != nil || r.Result != 0 || !strings.Contains(r.GuestStacks, "goroutine") {
			t.Fatalf("DumpStacks reply %d: %.100q (%v)", h.ID, b, err)
		}
		got++
		<-credit
	}
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	peak := bridgeStatusKiB(t, g.Pid(), "VmHWM")
	syscall.Kill(int(pid), syscall.SIGKILL)
	bridgeExpectWaits(t, w, ids, 0xffffffff)
	t.Logf("RSS %d KiB before, peak %d KiB during %d DumpStacks", before, peak, total)
	if os.Getenv("GCS_E2E_RACE") != "" {
		return
	}
	if peak-before > bound {
		t.Fatalf("peak RSS grew by %d KiB, bound %d KiB", peak-before, bound)
	}
}
