package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
)

// moveSelfInBackground turns on favordynmods if asked (Options.FavorDynMods:
// the move is then one of the migrations it speeds up), moves the daemon
// into gcs after New returned (Options.MoveSelf), then, in v1, starts the
// spawner's thread: a thread put in the runtime cgroup before the move
// would be taken along, since writing a pid to cgroup.procs moves every
// thread of the process, and right after the move the kernel lets the
// thread in without another grace period. A failure is logged here and
// returned by every method that waits for the move.
func (m *Manager) moveSelfInBackground() {
	m.favorDynMods()
	begun := time.Now()
	err := m.moveSelfIn()
	if err != nil {
		m.log.WithError(err).Error("daemon not moved into its gcs cgroup; runtime invocations will fail")
		m.ready.finish(err)
		return
	}
	if h, ok := m.sys.l.controller("memory"); ok && !m.sys.l.v2 {
		m.spawner.prepare(m, h.mount, m.runtimePath())
	}
	m.log.WithField("took", time.Since(begun)).Debug("daemon moved into its gcs cgroup")
	m.ready.finish(nil)
}

// mustMoveFirst reports whether the daemon must be in gcs before the
// controllers are enabled: in v2, when it sits in a non-root cgroup on the
// path to pods, whose levels would refuse them.
func (m *Manager) mustMoveFirst() (bool, error) {
	if !m.sys.l.v2 {
		return false, nil
	}
	cur, err := m.ownCgroups()
	if err != nil {
		return false, err
	}
	return onPathTo(cur[m.sys.l.unified], m.podsPath()), nil
}

// onPathTo reports whether the cgroup at is a non-root level of the
// cgroup path rel: rel itself or one of its ancestors.
func onPathTo(at, rel string) bool {
	return at != "/" && at != "" && (at == rel || strings.HasPrefix(rel, at+"/"))
}

// ownCgroups maps each mount point to the process's cgroup there.
func (m *Manager) ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read own cgroups: %w", err)
	}
	defer f.Close()
	cur, err := parseProcCgroup(f, m.sys.l)
	if err != nil {
		return nil, fmt.Errorf("read own cgroups: %w", err)
	}
	return cur, nil
}

// moveSelfIn moves the calling process into gcs in every hierarchy the
// Manager owns, remembering where it was.
func (m *Manager) moveSelfIn() error {
	cur, err := m.ownCgroups()
	if err != nil {
		return err
	}
	pid := strconv.Itoa(os.Getpid())
	m.sys.selfFrom = map[string]string{}
	for _, mnt := range m.ownedMounts() {
		from, ok := cur[mnt]
		if !ok {
			continue
		}
		procs := filepath.Join(mnt, m.gcsPath(), "cgroup.procs")
		if err := writeFile(procs, pid); err != nil {
			return fmt.Errorf("move the daemon into %s: %w", filepath.Dir(procs), err)
		}
		m.sys.selfFrom[mnt] = from
	}
	return nil
}

// moveSelfBack returns the process to the cgroups it had before New.
func (m *Manager) moveSelfBack() error {
	pid := strconv.Itoa(os.Getpid())
	var errs []error
	for mnt, from := range m.sys.selfFrom {
		procs := filepath.Join(mnt, from, "cgroup.procs")
		if err := writeFile(procs, pid); err != nil {
			errs = append(errs, fmt.Errorf("move the daemon back to %s: %w", filepath.Dir(procs), err))
			continue
		}
		m.log.WithFields(logrus.Fields{"cgroup": filepath.Dir(procs)}).Debug("daemon left gcs cgroup")
	}
	return errors.Join(errs...)
}

// parseProcCgroup maps each mount point of l to the cgroup path a
// /proc/<pid>/cgroup document names for it.
func parseProcCgroup(r io.Reader, l *layout) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		id, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		ctrls, p, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if id == "0" && ctrls == "" {
			if l.unified != "" {
				out[l.unified] = p
			}
			continue
		}
		list := strings.Split(ctrls, ",")
		slices.Sort(list)
		for _, h := range l.v1 {
			if slices.Equal(h.controllers, list) {
				out[h.mount] = p
			}
		}
	}
	return out, sc.Err()
}

// addRuntimeProcess moves pid, a process the daemon started that is not part
// of the daemon (an OCI runtime invocation, a utility-VM process), into the
// runtime cgroup, a sibling of gcs: the daemon's memory limit must bound the
// daemon, not the runtimes it runs in parallel, which would otherwise get
// the daemon killed by its own cgroup's OOM killer. Call it right after the
// process starts, before it allocates much.
//
// Only the memory controller's hierarchy is changed (in v2 the one
// hierarchy): that is the limit that matters, and each move costs a write.
func (m *Manager) addRuntimeProcess(pid int) error {
	p := strconv.Itoa(pid)
	mounts := m.ownedMounts()
	if !m.sys.l.v2 {
		if h, ok := m.sys.l.controller("memory"); ok {
			mounts = []string{h.mount}
		}
	}
	var errs []error
	for _, mnt := range mounts {
		procs := filepath.Join(mnt, m.runtimePath(), "cgroup.procs")
		if err := writeFile(procs, p); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("move process %d into %s: %w", pid, filepath.Dir(procs), err))
		}
	}
	return errors.Join(errs...)
}
