package cgroup

import (
	"github.com/linux-gcs/gcs/internal/prot"
)

// readMemory reads memory.stat, memory.oom_control and the usage, max_usage,
// failcnt and limit of the memory, memsw, kmem and kmem.tcp families the
// kernel has (absent families leave their entry empty, as cgroup1 does).
func (v *v1Mounts) readMemory(r *fileReader, dir string, out *prot.Metrics) (bool, error) {
	b, ok, err := r.read(dir, "memory.stat")
	if err != nil || !ok {
		return false, err
	}
	mem := &prot.MemoryStat{
		Usage: &prot.MemoryEntry{}, Swap: &prot.MemoryEntry{},
		Kernel: &prot.MemoryEntry{}, KernelTCP: &prot.MemoryEntry{},
	}
	eachKV(b, func(k []byte, val uint64) { v1MemoryStatKey(mem, string(k), val) })
	oom := &prot.MemoryOomControl{}
	if b, ok, err = r.read(dir, "memory.oom_control"); err != nil {
		return true, err
	} else if ok {
		eachKV(b, func(k []byte, val uint64) {
			switch string(k) {
			case "oom_kill_disable":
				oom.OomKillDisable = val
			case "under_oom":
				oom.UnderOom = val
			case "oom_kill":
				oom.OomKill = val
			}
		})
	}
	for i, e := range []*prot.MemoryEntry{mem.Usage, mem.Swap, mem.Kernel, mem.KernelTCP} {
		prefix := v.memEntries[i]
		if prefix == "" {
			continue
		}
		for _, f := range []struct {
			name string
			dst  *uint64
		}{
			{"usage_in_bytes", &e.Usage},
			{"max_usage_in_bytes", &e.Max},
			{"failcnt", &e.Failcnt},
			{"limit_in_bytes", &e.Limit},
		} {
			if *f.dst, _, err = r.valueIn(dir, prefix, f.name, 0); err != nil {
				return true, err
			}
		}
	}
	out.Memory, out.MemoryOomControl = mem, oom
	return true, nil
}

// v1MemoryStatKey stores one v1 memory.stat counter in its field.
func v1MemoryStatKey(m *prot.MemoryStat, key string, v uint64) {
	switch key {
	case "cache":
		m.Cache = v
	case "rss":
		m.RSS = v
	case "rss_huge":
		m.RSSHuge = v
	case "mapped_file":
		m.MappedFile = v
	case "dirty":
		m.Dirty = v
	case "writeback":
		m.Writeback = v
	case "pgpgin":
		m.PgPgIn = v
	case "pgpgout":
		m.PgPgOut = v
	case "pgfault":
		m.PgFault = v
	case "pgmajfault":
		m.PgMajFault = v
	case "inactive_anon":
		m.InactiveAnon = v
	case "active_anon":
		m.ActiveAnon = v
	case "inactive_file":
		m.InactiveFile = v
	case "active_file":
		m.ActiveFile = v
	case "unevictable":
		m.Unevictable = v
	case "hierarchical_memory_limit":
		m.HierarchicalMemoryLimit = v
	case "hierarchical_memsw_limit":
		m.HierarchicalSwapLimit = v
	case "total_cache":
		m.TotalCache = v
	case "total_rss":
		m.TotalRSS = v
	case "total_rss_huge":
		m.TotalRSSHuge = v
	case "total_mapped_file":
		m.TotalMappedFile = v
	case "total_dirty":
		m.TotalDirty = v
	case "total_writeback":
		m.TotalWriteback = v
	case "total_pgpgin":
		m.TotalPgPgIn = v
	case "total_pgpgout":
		m.TotalPgPgOut = v
	case "total_pgfault":
		m.TotalPgFault = v
	case "total_pgmajfault":
		m.TotalPgMajFault = v
	case "total_inactive_anon":
		m.TotalInactiveAnon = v
	case "total_active_anon":
		m.TotalActiveAnon = v
	case "total_inactive_file":
		m.TotalInactiveFile = v
	case "total_active_file":
		m.TotalActiveFile = v
	case "total_unevictable":
		m.TotalUnevictable = v
	}
}
