package cgroup

import (
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/linux-gcs/gcs/internal/prot"
)

// unlimitedV1 is what cgroup v1 prints for an unlimited memory counter
// (the largest int64 rounded down to a page); v2's "max" is mapped to it.
const unlimitedV1 uint64 = 9223372036854771712

// statsV2 reads the v2 interface files of the cgroup at p under the cgroup2
// mount mnt through fr and maps them to the v1 shape (see the package
// documentation).
func statsV2(fr *fileReader, mnt, p string, hugeSizes []string) (*prot.Metrics, error) {
	r := v2Reader{fileReader: *fr, dir: filepath.Join(mnt, p)}
	out := &prot.Metrics{}
	// cpu.stat is in every v2 cgroup: without it there is no cgroup.
	if ok, err := r.cpu(out); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("no such cgroup: %w", fs.ErrNotExist)
	}
	if err := r.memory(out, mnt); err != nil {
		return nil, err
	}
	if err := r.pids(out); err != nil {
		return nil, err
	}
	if err := r.hugetlb(out, hugeSizes); err != nil {
		return nil, err
	}
	if _, ok, err := r.file("rdma.current"); err != nil {
		return nil, err
	} else if ok {
		out.Rdma = &prot.RdmaStat{}
	}
	return out, nil
}

// v2Reader reads the files of one v2 cgroup.
type v2Reader struct {
	fileReader
	dir string
}

// file reads a file of the cgroup (see fileReader.read).
func (r *v2Reader) file(name string) ([]byte, bool, error) {
	return r.read(r.dir, name)
}

// number reads a single-number file of the cgroup; "max" reads as maxVal, a
// missing file as 0.
func (r *v2Reader) number(name string, maxVal uint64) (uint64, error) {
	v, _, err := r.value(r.dir, name, maxVal)
	return v, err
}

// cpu maps cpu.stat; the usage keys are there even without the cpu
// controller. ok is false if the file does not exist.
func (r *v2Reader) cpu(out *prot.Metrics) (ok bool, err error) {
	b, ok, err := r.file("cpu.stat")
	if err != nil || !ok {
		return false, err
	}
	u, t := &prot.CPUUsage{}, &prot.Throttle{}
	eachKV(b, func(k []byte, v uint64) {
		switch string(k) {
		case "usage_usec":
			u.Total = v * 1000
		case "user_usec":
			u.User = v * 1000
		case "system_usec":
			u.Kernel = v * 1000
		case "nr_periods":
			t.Periods = v
		case "nr_throttled":
			t.ThrottledPeriods = v
		case "throttled_usec":
			t.ThrottledTime = v * 1000
		}
	})
	out.CPU = &prot.CPUStat{Usage: u, Throttling: t}
	return true, nil
}

// pids maps pids.current and pids.max ("max" is 0, as cgroup1 reports it).
func (r *v2Reader) pids(out *prot.Metrics) error {
	b, ok, err := r.file("pids.current")
	if err != nil || !ok {
		return err
	}
	cur, err := parseUint(b)
	if err != nil {
		return fmt.Errorf("parse pids.current: %w", err)
	}
	limit, err := r.number("pids.max", 0)
	if err != nil {
		return err
	}
	out.Pids = &prot.PidsStat{Current: cur, Limit: limit}
	return nil
}

// hugetlb maps hugetlb.<size>.current, .max and the "max" count of .events
// for every huge page size the cgroup accounts.
func (r *v2Reader) hugetlb(out *prot.Metrics, sizes []string) error {
	for _, size := range sizes {
		prefix := "hugetlb." + size
		b, ok, err := r.file(prefix + ".current")
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		s := &prot.HugetlbStat{Pagesize: size}
		if s.Usage, err = parseUint(b); err != nil {
			return fmt.Errorf("parse %s.current: %w", prefix, err)
		}
		if s.Max, err = r.number(prefix+".max", 0); err != nil {
			return err
		}
		if b, ok, err = r.file(prefix + ".events"); err != nil {
			return err
		} else if ok {
			eachKV(b, func(k []byte, v uint64) {
				if string(k) == "max" {
					s.Failcnt = v
				}
			})
		}
		out.Hugetlb = append(out.Hugetlb, s)
	}
	return nil
}
