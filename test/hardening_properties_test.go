package test

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// propertiesRepeats is how often the repeated query lists "Statistics":
// about as often as a body under the bridge's 4 MiB bound allows.
const propertiesRepeats = 250000

// propertiesReads returns the read system calls process pid made so far,
// all its threads included (syscr of /proc/<pid>/io).
func propertiesReads(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "syscr: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("syscr of %d: %v", pid, err)
			}
			return n
		}
	}
	t.Fatalf("no syscr in /proc/%d/io (%v)", pid, sc.Err())
	return 0
}

// TestHardeningPropertiesRepeatedTypesReadOnce sends a GetProperties whose
// query lists "Statistics" as often as the bridge's bound on a body
// allows. The container's cgroup statistics must be read once per
// distinct type, not once per entry, which held the handler (and, in
// sequential mode, every request behind it) for seconds. It counts the
// daemon's read system calls rather than timing the request, so that a
// slow machine cannot fail it: reading the statistics once per entry
// costs at least one read per entry, while the body and one reading of
// the statistics take a small fraction of that. The replies must be those
// of the same query without repeats.
func TestHardeningPropertiesRepeatedTypesReadOnce(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt, "-sequential")
		id := h.id("props")
		if err := h.create(id, specFor("sleep", "1000")); err != nil {
			t.Fatal(err)
		}
		if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
			t.Fatal(err)
		}
		ctx := testCtx(t)

		types := make([]prot.PropertyType, propertiesRepeats)
		for i := range types {
			types[i] = prot.PtStatistics
		}
		before := propertiesReads(t, h.g.Pid())
		props, err := h.c.GetProperties(ctx, id, types...)
		reads := propertiesReads(t, h.g.Pid()) - before
		if err != nil {
			t.Fatalf("GetProperties listing Statistics %d times: %v", len(types), err)
		}
		t.Logf("GetProperties listing Statistics %d times: %d read system calls", len(types), reads)
		if props.Metrics == nil || props.ProcessList != nil {
			t.Errorf("reply to the repeated Statistics query: metrics %v, process list %v; want metrics alone", props.Metrics != nil, props.ProcessList)
		}
		if bound := int64(len(types) / 10); reads > bound {
			t.Errorf("the daemon made %d read system calls for one GetProperties listing Statistics %d times (more than %d): the statistics are read once per entry", reads, len(types), bound)
		}

		mixed := []prot.PropertyType{prot.PtProcessList, prot.PtStatistics, "Unknown", prot.PtProcessList, prot.PtStatistics}
		props, err = h.c.GetProperties(ctx, id, mixed...)
		if err != nil {
			t.Fatalf("GetProperties %v: %v", mixed, err)
		}
		if props.Metrics == nil || len(props.ProcessList) != 1 {
			t.Errorf("reply to %v: metrics %v, process list %v; want metrics and the init alone", mixed, props.Metrics != nil, props.ProcessList)
		}
	})
}
