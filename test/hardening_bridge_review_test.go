package test

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// reviewSecret stands for an environment value or policy content: it must
// never come back in a reply or reach the daemon's log.
const reviewSecret = "hunter2-S3CRET-value"

// reviewNumber is a number literal too large for any field: json's own
// error text quotes it whole.
var reviewNumber = "9" + strings.Repeat("8", 40)

// reviewRefused sends body as a typ request and checks the failure reply:
// its HRESULT, that it says where decoding failed, and that it quotes
// neither reviewSecret nor reviewNumber.
func reviewRefused(t *testing.T, c *client.Client, name string, typ prot.MessageIdentifier, body string, want prot.HResult) {
	t.Helper()
	_, b, err := c.Raw(testCtx(t), typ, []byte(body+"\n"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var base prot.MessageResponseBase
	if err := json.Unmarshal(b, &base); err != nil {
		t.Fatalf("%s: reply %q: %v", name, b, err)
	}
	switch {
	case prot.HResult(base.Result) != want:
		t.Errorf("%s: Result %s (%q), want %s", name, prot.HResult(base.Result), base.ErrorMessage, want)
	case strings.Contains(string(b), reviewSecret) || strings.Contains(string(b), reviewNumber[:20]):
		t.Errorf("%s: the reply quotes the request: %s", name, b)
	case !strings.Contains(base.ErrorMessage, "offset"):
		t.Errorf("%s: the error does not say where decoding failed: %q", name, base.ErrorMessage)
	}
}

// Inner documents and settings that fail to decode (a GetProperties Query,
// ModifySettings' Request and Settings, NegotiateProtocol) get the
// invalid-JSON HRESULT with the offset where decoding failed, and are never
// quoted, in the reply or the log. The Query was quoted (200 bytes of it)
// and json's own error, which quotes a whole number literal, went into the
// replies and logs of the others.
func TestReviewInnerDocumentsNeverEchoed(t *testing.T) {
	inner := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	cid := strings.Repeat("ab", 32)
	modify := func(req string) string { return `{"ContainerId":"` + prot.NullContainerID + `","Request":` + req + `}` }
	cases := []struct {
		name string
		typ  prot.MessageIdentifier
		body string
	}{
		{"properties query of the wrong type", prot.ComputeSystemGetPropertiesV1,
			`{"ContainerId":"` + cid + `","Query":` + inner(`{"PropertyTypes":"`+reviewSecret+`"}`) + `}`},
		{"properties query truncated", prot.ComputeSystemGetPropertiesV1,
			`{"ContainerId":"` + cid + `","Query":` + inner(`{"PropertyTypes":["`+reviewSecret) + `}`},
		{"properties query number", prot.ComputeSystemGetPropertiesV1,
			`{"ContainerId":"` + cid + `","Query":` + inner(`{"PropertyTypes":[`+reviewNumber+`]}`) + `}`},
		{"modify request number", prot.ComputeSystemModifySettingsV1,
			modify(`{"ResourceType":` + reviewNumber + `}`)},
		{"modify settings number", prot.ComputeSystemModifySettingsV1,
			modify(`{"ResourceType":"MappedVirtualDisk","Settings":{"MountPath":"/` + reviewSecret + `","Lun":` + reviewNumber + `}}`)},
		{"modify body number", prot.ComputeSystemModifySettingsV1,
			`{"ContainerId":"` + prot.NullContainerID + `","Request":{},"ActivityId":` + reviewNumber + `}`},
	}
	g, addr := listenGCS(t, "-loglevel", "trace")

	// Before negotiation: a NegotiateProtocol whose version overflows.
	c0 := dialGCS(t, addr)
	reviewRefused(t, c0, "negotiate number", prot.ComputeSystemNegotiateProtocolV1,
		`{"MinimumVersion":4,"MaximumVersion":`+reviewNumber+`}`, prot.HrVmcomputeInvalidJSON)
	c0.Close()

	c := dialGCS(t, addr)
	if _, err := c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		reviewRefused(t, c, tc.name, tc.typ, tc.body, prot.HrVmcomputeInvalidJSON)
	}
	// A round trip after the last failure: its log lines are written.
	if _, err := c.DumpStacks(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	log := g.log()
	for _, s := range []string{reviewSecret, reviewNumber[:20]} {
		if i := strings.Index(log, s); i >= 0 {
			t.Errorf("the daemon's log quotes a request body: ...%s...", log[max(0, i-200):min(len(log), i+60)])
		}
	}
}

// reviewLongestLogLine returns the length of the longest line of log.
func reviewLongestLogLine(log string) int {
	n := 0
	for line := range strings.SplitSeq(log, "\n") {
		n = max(n, len(line))
	}
	return n
}

// A ModifySettings naming a ResourceType of a megabyte is refused with
// E_FAIL naming a bounded part of it: the whole name went into the error,
// hence the debug log line, and 4 KiB of it into the reply.
func TestReviewLongResourceTypeBounded(t *testing.T) {
	name := "Bogus" + strings.Repeat("R", 1<<20)
	body := `{"ContainerId":"` + prot.NullContainerID + `","Request":{"ResourceType":"` + name + `","Settings":{}}}`
	g, addr := listenGCS(t)
	c := dialGCS(t, addr)
	if _, err := c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	_, b, err := c.Raw(testCtx(t), prot.ComputeSystemModifySettingsV1, []byte(body+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var base prot.MessageResponseBase
	if err := json.Unmarshal(b, &base); err != nil {
		t.Fatalf("reply %q: %v", b, err)
	}
	if got := prot.HResult(base.Result); got != prot.HrFail {
		t.Errorf("Result %s, want %s", got, prot.HrFail)
	}
	if !strings.Contains(base.ErrorMessage, "ResourceType") || strings.Contains(base.ErrorMessage, strings.Repeat("R", 256)) {
		t.Errorf("the error does not name a bounded part of the ResourceType (%d bytes): %.300q", len(base.ErrorMessage), base.ErrorMessage)
	}
	if _, err := c.DumpStacks(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if n := reviewLongestLogLine(g.log()); n > 16<<10 {
		t.Errorf("the daemon logged a line of %d bytes for one refused request", n)
	}
}

// GetProperties racing a DeleteContainerState of a stopped container: the
// runtime's delete removes the container's cgroup before the GCS forgets
// the container, and every GetProperties answered in between failed with
// E_FAIL ("no such cgroup"), where the README promises not-found while a
// Delete cleans up. Each reply must be a success or system-not-found.
func TestReviewPropertiesDuringDelete(t *testing.T) {
	h := newHostEnv(t, "runc")
	ctx := testCtx(t)
	for round := range 3 {
		id, pid := startRunning(t, h, "propsdel", specFor("sleep", "1000"))
		var stop atomic.Bool
		var wg sync.WaitGroup
		var mu sync.Mutex
		results := map[prot.HResult]int{}
		var firstFail error
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					_, err := h.c.GetProperties(ctx, id, prot.PtProcessList, prot.PtStatistics)
					hr := client.HResult(err)
					mu.Lock()
					results[hr]++
					if hr != 0 && hr != prot.HrVmcomputeSystemNotFound && firstFail == nil {
						firstFail = err
					}
					mu.Unlock()
				}
			}()
		}
		if err := h.c.ShutdownForced(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := h.c.WaitForProcess(ctx, id, pid, -1); err != nil {
			t.Fatal(err)
		}
		if err := h.c.DeleteContainerState(ctx, id); err != nil {
			t.Fatal(err)
		}
		stop.Store(true)
		wg.Wait()
		t.Logf("round %d: GetProperties results %v", round, results)
		if firstFail != nil {
			t.Fatalf("round %d: GetProperties during the deletion: %v (results %v)", round, firstFail, results)
		}
	}
}
