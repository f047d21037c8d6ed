package cgroup

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"syscall"
)

// setMemoryLimit writes the memory limit of the cgroup at rel: memory.max in
// v2, memory.limit_in_bytes of the memory hierarchy in v1. limit <= 0 means
// unlimited.
func (m *Manager) setMemoryLimit(rel string, limit int64) error {
	if m.sys.l.v2 {
		val := "max"
		if limit > 0 {
			val = strconv.FormatInt(limit, 10)
		}
		return writeFile(filepath.Join(m.sys.l.unified, rel, "memory.max"), val)
	}
	h, _ := m.sys.l.controller("memory")
	val := "-1"
	if limit > 0 {
		val = strconv.FormatInt(limit, 10)
	}
	return writeFile(filepath.Join(h.mount, rel, "memory.limit_in_bytes"), val)
}

// totalRAM returns the machine's total RAM in bytes, hot-added memory
// included.
func totalRAM() (int64, error) {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0, fmt.Errorf("sysinfo: %w", err)
	}
	total := uint64(si.Totalram) * uint64(si.Unit)
	if total > math.MaxInt64 {
		total = math.MaxInt64
	}
	return int64(total), nil
}
