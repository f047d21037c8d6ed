package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// system is the Linux state of a Manager, fixed once New returns.
type system struct {
	l *layout
	// missingTop maps each mount point to the topmost directory of the
	// parent chain that did not exist before New ("" if the parent did).
	missingTop map[string]string
	// selfFrom maps each mount point to the cgroup the process left when
	// New moved it into gcs.
	selfFrom map[string]string
	// v1 are the v1 hierarchies Stats reads.
	v1 v1Mounts
	// hugeSizes are the huge page sizes ("2MB", "1GB") of the machine.
	hugeSizes []string
	// hugePrefixes are the v1 file name prefixes of hugeSizes
	// ("hugetlb.2MB."), made once rather than at every Stats.
	hugePrefixes []string
	// files keeps the interface files of the cgroups Stats read last open.
	files fileCache
}

// setup makes the layout's directories; settle does the rest.
func (m *Manager) setup() error {
	l, err := detectLayout()
	if err != nil {
		return err
	}
	m.sys.l = l
	m.mode = "v1"
	if l.v2 {
		m.mode = "v2"
	}
	m.sys.missingTop = map[string]string{}
	for _, mnt := range l.mounts() {
		top, err := firstMissing(mnt, m.parent)
		if err != nil {
			return err
		}
		m.sys.missingTop[mnt] = top
	}
	for _, mnt := range m.ownedMounts() {
		for _, name := range []string{gcsName, podsName, runtimeName} {
			dir := filepath.Join(mnt, m.parent, name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("make cgroup %s: %w", dir, err)
			}
		}
	}
	if h, ok := l.controller("cpuset"); ok {
		for _, rel := range []string{m.gcsPath(), m.podsPath(), m.runtimePath()} {
			if err := initCpuset(h.mount, rel); err != nil {
				return err
			}
		}
	}
	m.sys.hugeSizes, err = hugePageSizes()
	if err != nil {
		return err
	}
	for _, size := range m.sys.hugeSizes {
		m.sys.hugePrefixes = append(m.sys.hugePrefixes, "hugetlb."+size+".")
	}
	if !l.v2 {
		m.sys.v1 = newV1Mounts(l)
	}
	return nil
}

// settle ends the set-up once the directories are made: the daemon's move
// into gcs, the v2 controllers, the pods pids limit and the memory limits (in v2 they need the
// memory controller enabled). The move is left to the caller, which runs
// it in the background, and later is true, unless the controllers need it
// first: a non-root v2 cgroup that holds processes takes none.
func (m *Manager) settle() (later bool, err error) {
	if m.moveSelf {
		first, err := m.mustMoveFirst()
		if err != nil {
			return false, err
		}
		if !first {
			later = true
		} else {
			m.favorDynMods()
			if err := m.moveSelfIn(); err != nil {
				return false, err
			}
		}
	}
	if m.sys.l.v2 {
		// Down to pods itself, so that container cgroups get them too.
		if err := enableControllers(m.sys.l.unified, m.podsPath(), m.log); err != nil {
			return false, err
		}
	}
	if err := m.setPodsPidsLimit(); err != nil {
		return false, err
	}
	// A gcs cgroup left limited by an earlier daemon is lifted: the
	// threshold is only watched (WatchMemory).
	if err := m.setMemoryLimit(m.gcsPath(), 0); err != nil {
		return false, fmt.Errorf("lift gcs memory limit: %w", err)
	}
	return later, m.RecomputePodsMemoryLimit()
}

// ownedMounts are the hierarchies where the Manager makes gcs and pods: the
// v1 ones, or the unified one in v2 mode (never the hybrid cgroup2 mount).
func (m *Manager) ownedMounts() []string {
	if m.sys.l.v2 {
		return []string{m.sys.l.unified}
	}
	var out []string
	for _, h := range m.sys.l.v1 {
		out = append(out, h.mount)
	}
	return out
}

// firstMissing returns the topmost directory of the cgroup path rel that does
// not exist under mnt, or "" if rel exists.
func firstMissing(mnt, rel string) (string, error) {
	cur := "/"
	for _, part := range strings.Split(strings.Trim(rel, "/"), "/") {
		if part == "" {
			continue
		}
		cur = path.Join(cur, part)
		_, err := os.Lstat(filepath.Join(mnt, cur))
		if errors.Is(err, fs.ErrNotExist) {
			return cur, nil
		}
		if err != nil {
			return "", fmt.Errorf("look for cgroup %s: %w", filepath.Join(mnt, cur), err)
		}
	}
	return "", nil
}

// initCpuset fills empty cpuset.cpus and cpuset.mems from the parent on every
// level of rel, top down: a v1 cpuset cgroup without them admits no process.
func initCpuset(mnt, rel string) error {
	cur := mnt
	for _, part := range strings.Split(strings.Trim(rel, "/"), "/") {
		if part == "" {
			continue
		}
		parent := cur
		cur = filepath.Join(cur, part)
		for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
			if err := inheritFile(parent, cur, file); err != nil {
				return fmt.Errorf("initialise %s: %w", filepath.Join(cur, file), err)
			}
		}
	}
	return nil
}

// inheritFile copies file from parent to dir when dir's copy is empty.
func inheritFile(parent, dir, file string) error {
	own, err := readBuf(filepath.Join(dir, file), nil)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(own))) > 0 {
		return nil
	}
	val, err := readBuf(filepath.Join(parent, file), nil)
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, file), strings.TrimSpace(string(val)))
}
