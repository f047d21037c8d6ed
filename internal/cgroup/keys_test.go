package cgroup

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// captureFile is a real Statistics reply of the reference GCS (a cgroup v1
// container running sleep), copied from the protocol captures.
const captureFile = "testdata/s1_016_A_getproperties_statistics.json"

// specKeyTree is the LCOWMetrics key tree of WIRE.md §4.9, as object path ->
// keys ("[]" marks an array's elements). Zero leaves are omitted on the wire,
// so a capture shows only part of it.
var specKeyTree = map[string]string{
	"":                   "hugetlb pids cpu memory blkio rdma network cgroup_stats memory_oom_control",
	"hugetlb[]":          "usage max failcnt pagesize",
	"pids":               "current limit",
	"cpu":                "usage throttling",
	"cpu.usage":          "total kernel user per_cpu",
	"cpu.throttling":     "periods throttled_periods throttled_time",
	"memory.usage":       "limit usage max failcnt",
	"memory.swap":        "limit usage max failcnt",
	"memory.kernel":      "limit usage max failcnt",
	"memory.kernel_tcp":  "limit usage max failcnt",
	"rdma":               "current limit",
	"rdma.current[]":     "device hca_handles hca_objects",
	"rdma.limit[]":       "device hca_handles hca_objects",
	"network[]":          "name rx_bytes rx_packets rx_errors rx_dropped tx_bytes tx_packets tx_errors tx_dropped",
	"cgroup_stats":       "nr_sleeping nr_running nr_stopped nr_uninterruptible nr_io_wait",
	"memory_oom_control": "oom_kill_disable under_oom oom_kill",
	"memory": "cache rss rss_huge mapped_file dirty writeback pg_pg_in pg_pg_out pg_fault pg_maj_fault " +
		"inactive_anon active_anon inactive_file active_file unevictable hierarchical_memory_limit " +
		"hierarchical_swap_limit total_cache total_rss total_rss_huge total_mapped_file total_dirty " +
		"total_writeback total_pg_pg_in total_pg_pg_out total_pg_fault total_pg_maj_fault " +
		"total_inactive_anon total_active_anon total_inactive_file total_active_file total_unevictable " +
		"usage swap kernel kernel_tcp",
	"blkio": "io_service_bytes_recursive io_serviced_recursive io_queued_recursive io_service_time_recursive " +
		"io_wait_time_recursive io_merged_recursive io_time_recursive sectors_recursive",
}

// captureMetrics returns the LCOWMetrics document of the capture.
func captureMetrics(tb testing.TB) map[string]any {
	tb.Helper()
	raw, err := os.ReadFile(captureFile)
	if err != nil {
		tb.Fatal(err)
	}
	var exchange struct {
		Response struct{ Properties string }
	}
	if err := json.Unmarshal(raw, &exchange); err != nil {
		tb.Fatal(err)
	}
	var props struct{ LCOWMetrics map[string]any }
	if err := json.Unmarshal([]byte(exchange.Response.Properties), &props); err != nil {
		tb.Fatal(err)
	}
	if props.LCOWMetrics == nil {
		tb.Fatal("capture has no LCOWMetrics")
	}
	return props.LCOWMetrics
}

// keyPaths lists every key of a decoded JSON document as "a.b.c" ("[]" for
// array elements) and, separately, the paths whose values are objects.
func keyPaths(doc map[string]any) (all, objects []string) {
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if prefix != "" {
				objects = append(objects, prefix)
			}
			for k, child := range v {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				all = append(all, p)
				walk(p, child)
			}
		case []any:
			for _, e := range v {
				walk(prefix+"[]", e)
			}
		}
	}
	walk("", doc)
	sort.Strings(all)
	sort.Strings(objects)
	return slices.Compact(all), slices.Compact(objects)
}

// inSpec reports whether a key path is part of the spec's key tree.
func inSpec(p string) bool {
	parent, key := "", p
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		parent, key = p[:i], p[i+1:]
	}
	return slices.Contains(strings.Fields(specKeyTree[parent]), key)
}

// checkKeys fails the test for every key of doc outside the reference tree
// (the spec's tree plus the capture's keys) and for every object of the
// capture doc lacks. With exact, doc must have the very objects the capture
// has, no more.
func checkKeys(t *testing.T, doc map[string]any, exact bool) {
	t.Helper()
	refAll, refObjects := keyPaths(captureMetrics(t))
	all, objects := keyPaths(doc)
	for _, p := range all {
		if !inSpec(p) && !slices.Contains(refAll, p) {
			t.Errorf("key %q is not in the reference key tree", p)
		}
	}
	for _, p := range refObjects {
		if !slices.Contains(objects, p) {
			t.Errorf("object %q of the capture is missing", p)
		}
	}
	if exact && !slices.Equal(objects, refObjects) {
		t.Errorf("objects = %v, capture has %v", objects, refObjects)
	}
}

func TestCaptureKeysAreInSpecTree(t *testing.T) {
	all, _ := keyPaths(captureMetrics(t))
	for _, p := range all {
		if !inSpec(p) {
			t.Errorf("capture key %q missing from the spec key tree", p)
		}
	}
}
