package cgroup

import (
	"fmt"
	"path/filepath"

	"github.com/linux-gcs/gcs/internal/prot"
)

// memory maps the v2 memory files to v1's memory and memory_oom_control
// (see the package documentation for the table). It does nothing when the
// memory controller is off for the cgroup.
func (r *v2Reader) memory(out *prot.Metrics, mnt string) error {
	b, ok, err := r.file("memory.current")
	if err != nil || !ok {
		return err
	}
	mem := &prot.MemoryStat{
		Usage: &prot.MemoryEntry{}, Swap: &prot.MemoryEntry{},
		Kernel: &prot.MemoryEntry{}, KernelTCP: &prot.MemoryEntry{},
	}
	oom := &prot.MemoryOomControl{}
	if mem.Usage.Usage, err = parseUint(b); err != nil {
		return fmt.Errorf("parse memory.current: %w", err)
	}
	for _, f := range []struct {
		name string
		dst  *uint64
	}{
		{"memory.max", &mem.Usage.Limit},
		{"memory.peak", &mem.Usage.Max},
		{"memory.swap.current", &mem.Swap.Usage},
		{"memory.swap.max", &mem.Swap.Limit},
		{"memory.swap.peak", &mem.Swap.Max},
	} {
		if *f.dst, err = r.number(f.name, unlimitedV1); err != nil {
			return err
		}
	}
	if b, ok, err = r.file("memory.events"); err != nil {
		return err
	} else if ok {
		eachKV(b, func(k []byte, v uint64) {
			switch string(k) {
			case "max":
				mem.Usage.Failcnt = v
			case "oom_kill":
				oom.OomKill = v
			}
		})
	}
	if b, ok, err = r.file("memory.stat"); err != nil {
		return err
	} else if ok {
		eachKV(b, func(k []byte, v uint64) { memoryStatKey(mem, string(k), v) })
	}
	if mem.HierarchicalMemoryLimit, err = r.hierarchicalLimit(mnt); err != nil {
		return err
	}
	out.Memory, out.MemoryOomControl = mem, oom
	return nil
}

// memoryStatKey stores one memory.stat counter in its v1 field and, since v2
// counters are hierarchical already, in its total_* twin.
func memoryStatKey(m *prot.MemoryStat, key string, v uint64) {
	switch key {
	case "anon":
		m.RSS, m.TotalRSS = v, v
	case "file":
		m.Cache, m.TotalCache = v, v
	case "anon_thp":
		m.RSSHuge, m.TotalRSSHuge = v, v
	case "file_mapped":
		m.MappedFile, m.TotalMappedFile = v, v
	case "file_dirty":
		m.Dirty, m.TotalDirty = v, v
	case "file_writeback":
		m.Writeback, m.TotalWriteback = v, v
	case "pgfault":
		m.PgFault, m.TotalPgFault = v, v
	case "pgmajfault":
		m.PgMajFault, m.TotalPgMajFault = v, v
	case "inactive_anon":
		m.InactiveAnon, m.TotalInactiveAnon = v, v
	case "active_anon":
		m.ActiveAnon, m.TotalActiveAnon = v, v
	case "inactive_file":
		m.InactiveFile, m.TotalInactiveFile = v, v
	case "active_file":
		m.ActiveFile, m.TotalActiveFile = v, v
	case "unevictable":
		m.Unevictable, m.TotalUnevictable = v, v
	case "kernel":
		m.Kernel.Usage = v
	case "sock":
		m.KernelTCP.Usage = v
	}
}

// hierarchicalLimit is the smallest memory.max of the cgroup and its
// ancestors below the root (which has none): what v1 reports as
// hierarchical_memory_limit.
func (r *v2Reader) hierarchicalLimit(mnt string) (uint64, error) {
	limit := unlimitedV1
	root := filepath.Clean(mnt)
	for dir := r.dir; dir != root && len(dir) > len(root); dir = filepath.Dir(dir) {
		v, ok, err := r.value(dir, "memory.max", unlimitedV1)
		if err != nil {
			return 0, err
		}
		if ok {
			limit = min(limit, v)
		}
	}
	return limit, nil
}
