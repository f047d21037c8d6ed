package cgroup

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/linux-gcs/gcs/internal/prot"
)

// nsPerTick converts cpuacct.stat's USER_HZ ticks (100 a second on Linux)
// to nanoseconds.
const nsPerTick = 1e9 / 100

// v1Mounts are the v1 hierarchies Stats reads ("" when not mounted) and the
// memory counter families the kernel has.
type v1Mounts struct {
	pids, cpu, cpuacct, memory, hugetlb, rdma string
	// memEntries are the prefixes of memory.usage, swap, kernel and
	// kernel_tcp ("memory.", "memory.memsw.", ...), "" when absent.
	memEntries [4]string
}

// newV1Mounts finds the hierarchies of l that Stats reads.
func newV1Mounts(l *layout) v1Mounts {
	var v v1Mounts
	for name, dst := range map[string]*string{
		"pids": &v.pids, "cpu": &v.cpu, "cpuacct": &v.cpuacct,
		"memory": &v.memory, "hugetlb": &v.hugetlb, "rdma": &v.rdma,
	} {
		if h, ok := l.controller(name); ok {
			*dst = h.mount
		}
	}
	for i, prefix := range []string{"memory.", "memory.memsw.", "memory.kmem.", "memory.kmem.tcp."} {
		if _, err := os.Stat(filepath.Join(v.memory, prefix+"usage_in_bytes")); err == nil {
			v.memEntries[i] = prefix
		}
	}
	return v
}

// statsV1 reads the v1 statistics of the cgroup at p, filling what
// containerd's cgroup1 package fills, in the same way. Each controller's
// first file tells whether the cgroup exists in its hierarchy.
func (m *Manager) statsV1(r *fileReader, p string) (*prot.Metrics, error) {
	v := &m.sys.v1
	out := &prot.Metrics{CPU: &prot.CPUStat{Usage: &prot.CPUUsage{}, Throttling: &prot.Throttle{}}}
	found := false
	for _, c := range []struct {
		mount string
		read  func(r *fileReader, dir string, out *prot.Metrics) (bool, error)
	}{
		{v.pids, v1Pids},
		{v.cpuacct, v1CPUAcct},
		{v.cpu, v1CPU},
		{v.memory, v.readMemory},
		{v.hugetlb, m.readHugetlbV1},
		{v.rdma, v1Rdma},
	} {
		if c.mount == "" {
			continue
		}
		ok, err := c.read(r, c.mount+p, out)
		if err != nil {
			return nil, err
		}
		found = found || ok
	}
	if !found {
		return nil, fmt.Errorf("no such cgroup: %w", fs.ErrNotExist)
	}
	return out, nil
}

// v1Pids reads pids.current and pids.max ("max" is 0).
func v1Pids(r *fileReader, dir string, out *prot.Metrics) (bool, error) {
	cur, ok, err := r.value(dir, "pids.current", 0)
	if err != nil || !ok {
		return false, err
	}
	limit, _, err := r.value(dir, "pids.max", 0)
	if err != nil {
		return false, err
	}
	out.Pids = &prot.PidsStat{Current: cur, Limit: limit}
	return true, nil
}

// v1CPUAcct reads per-CPU usage, whose sum is cpuacct.usage (so that file is
// not read), and user and system time from cpuacct.stat.
func v1CPUAcct(r *fileReader, dir string, out *prot.Metrics) (bool, error) {
	b, ok, err := r.read(dir, "cpuacct.usage_percpu")
	if err != nil || !ok {
		return false, err
	}
	u := out.CPU.Usage
	u.PerCPU = appendFields(u.PerCPU[:0], b)
	u.Total = 0
	for _, c := range u.PerCPU {
		u.Total += c
	}
	if b, ok, err = r.read(dir, "cpuacct.stat"); err != nil || !ok {
		return true, err
	}
	eachKV(b, func(k []byte, v uint64) {
		switch string(k) {
		case "user":
			u.User = v * nsPerTick
		case "system":
			u.Kernel = v * nsPerTick
		}
	})
	return true, nil
}

// v1CPU reads the throttling counters of cpu.stat.
func v1CPU(r *fileReader, dir string, out *prot.Metrics) (bool, error) {
	b, ok, err := r.read(dir, "cpu.stat")
	if err != nil || !ok {
		return false, err
	}
	t := out.CPU.Throttling
	eachKV(b, func(k []byte, v uint64) {
		switch string(k) {
		case "nr_periods":
			t.Periods = v
		case "nr_throttled":
			t.ThrottledPeriods = v
		case "throttled_time":
			t.ThrottledTime = v
		}
	})
	return true, nil
}

// v1Rdma only notes that the cgroup is in an rdma hierarchy: the counters
// are dropped anyway.
func v1Rdma(_ *fileReader, dir string, out *prot.Metrics) (bool, error) {
	if _, err := os.Lstat(dir); err != nil {
		return false, nil
	}
	out.Rdma = &prot.RdmaStat{}
	return true, nil
}

// readHugetlbV1 reads usage, high-water mark and failures per huge page size.
func (m *Manager) readHugetlbV1(r *fileReader, dir string, out *prot.Metrics) (bool, error) {
	found := false
	for i, size := range m.sys.hugeSizes {
		s := &prot.HugetlbStat{Pagesize: size}
		var ok bool
		var err error
		prefix := m.sys.hugePrefixes[i]
		if s.Usage, ok, err = r.valueIn(dir, prefix, "usage_in_bytes", 0); err != nil || !ok {
			return found, err
		}
		if s.Max, _, err = r.valueIn(dir, prefix, "max_usage_in_bytes", 0); err != nil {
			return found, err
		}
		if s.Failcnt, _, err = r.valueIn(dir, prefix, "failcnt", 0); err != nil {
			return found, err
		}
		out.Hugetlb = append(out.Hugetlb, s)
		found = true
	}
	return found, nil
}

// appendFields parses space-separated numbers.
func appendFields(out []uint64, b []byte) []uint64 {
	var v uint64
	digits := false
	for _, c := range b {
		if c >= '0' && c <= '9' {
			v, digits = v*10+uint64(c-'0'), true
			continue
		}
		if digits {
			out = append(out, v)
		}
		v, digits = 0, false
	}
	if digits {
		out = append(out, v)
	}
	return out
}
