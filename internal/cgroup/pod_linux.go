package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// makePod makes the pod cgroup p (refusing one that exists) and writes its
// limits. It returns the directories it made, on failure too: those, and
// only those, are for the caller to undo. A cgroup that existed already
// may be another's (a standalone container's is <parent>/pods/<id> too).
func (m *Manager) makePod(p string, res *oci.LinuxResources) (made []string, err error) {
	for _, mnt := range m.ownedMounts() {
		dir := filepath.Join(mnt, p)
		if err := os.Mkdir(dir, 0o755); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return made, fmt.Errorf("pod cgroup %s already exists", dir)
			}
			return made, err
		}
		made = append(made, dir)
	}
	return made, m.initPod(p, res)
}

// unmakePod removes the directories makePod made, and only those (with
// rmdir: never a child cgroup someone made in one meanwhile).
func (m *Manager) unmakePod(made []string) {
	for _, dir := range made {
		if err := rmdirRetry(dir); err != nil {
			m.log.WithError(err).WithField("cgroup", dir).Warn("undo partial pod cgroup")
		}
	}
}

// initPod readies the new pod cgroup p for its containers and writes its
// limits.
func (m *Manager) initPod(p string, res *oci.LinuxResources) error {
	if h, ok := m.sys.l.controller("cpuset"); ok {
		if err := initCpuset(h.mount, p); err != nil {
			return err
		}
	}
	if m.sys.l.v2 {
		if err := enableControllers(m.sys.l.unified, p, m.log); err != nil {
			return err
		}
	}
	if res == nil {
		return nil
	}
	for _, w := range m.podLimitFiles(p, res) {
		if err := writeFile(w.file, w.value); err != nil {
			return fmt.Errorf("set pod limit: %w", err)
		}
	}
	return nil
}

// limitFile is one value to write into a cgroup interface file.
type limitFile struct{ file, value string }

// podLimitFiles lists the files and values that carry res for cgroup p,
// in the files of the cgroup version in use; a limit whose controller is
// not mounted is skipped.
func (m *Manager) podLimitFiles(p string, res *oci.LinuxResources) []limitFile {
	var out []limitFile
	in := func(controller, file string) (string, bool) {
		if m.sys.l.v2 {
			return filepath.Join(m.sys.l.unified, p, file), true
		}
		h, ok := m.sys.l.controller(controller)
		return filepath.Join(h.mount, p, file), ok
	}
	add := func(controller, v1File, v2File, value string) {
		file := v1File
		if m.sys.l.v2 {
			file = v2File
		}
		if f, ok := in(controller, file); ok {
			out = append(out, limitFile{f, value})
		}
	}
	if mem := res.Memory; mem != nil && mem.Limit != nil && *mem.Limit > 0 {
		v := strconv.FormatInt(*mem.Limit, 10)
		add("memory", "memory.limit_in_bytes", "memory.max", v)
	}
	if cpu := res.CPU; cpu != nil {
		if cpu.Shares != nil && *cpu.Shares > 0 {
			if m.sys.l.v2 {
				add("cpu", "", "cpu.weight", strconv.FormatUint(v2Weight(*cpu.Shares), 10))
			} else {
				add("cpu", "cpu.shares", "", strconv.FormatUint(*cpu.Shares, 10))
			}
		}
		if cpu.Quota != nil && *cpu.Quota > 0 {
			period := uint64(100000)
			if cpu.Period != nil && *cpu.Period > 0 {
				period = *cpu.Period
			}
			if m.sys.l.v2 {
				add("cpu", "", "cpu.max", fmt.Sprintf("%d %d", *cpu.Quota, period))
			} else {
				add("cpu", "cpu.cfs_period_us", "", strconv.FormatUint(period, 10))
				add("cpu", "cpu.cfs_quota_us", "", strconv.FormatInt(*cpu.Quota, 10))
			}
		}
	}
	if pids := res.Pids; pids != nil && pids.Limit != nil && *pids.Limit > 0 {
		add("pids", "pids.max", "pids.max", strconv.FormatInt(*pids.Limit, 10))
	}
	return out
}
