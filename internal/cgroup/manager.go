package cgroup

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/prot"
)

// DefaultRootMemoryReserve is the memory kept back from the pods cgroup for
// the utility VM itself when Options.RootMemoryReserve is zero (75 MiB, as
// the reference).
const DefaultRootMemoryReserve int64 = 75 << 20

// MinPodsMemoryLimit is the floor of the pods memory limit: however large the
// reserve, containers keep at least this much.
const MinPodsMemoryLimit int64 = 64 << 20

// Names of the two cgroups the Manager makes under its parent.
const (
	gcsName     = "gcs"
	podsName    = "pods"
	runtimeName = "runtime"
)

// Options configures a Manager.
type Options struct {
	// Parent is the cgroup path under which gcs and pods are made ("/" in a
	// utility VM); empty means "/". It must be absolute.
	Parent string
	// GCSMemoryThreshold is the memory usage of the gcs cgroup in bytes
	// above which WatchMemory logs a warning; zero or less watches nothing.
	// The gcs cgroup itself is never limited: a daemon killed by its own
	// limit would take every container with it.
	GCSMemoryThreshold int64
	// PollInterval is how often WatchMemory reads the cgroup v2 files,
	// which offer no threshold event; zero means DefaultPollInterval.
	PollInterval time.Duration
	// RootMemoryReserve is the memory kept back from the pods cgroup in
	// bytes; zero means DefaultRootMemoryReserve.
	RootMemoryReserve int64
	// MoveSelf moves the calling process into the gcs cgroup (and back out
	// of it on Close). New does not wait for the move, which waits for an
	// RCU grace period (10-30 ms): it ends in the background, and what
	// needs it (SpawnInRuntimeCgroup, WatchMemory) waits for it, at most
	// ReadyTimeout, and fails with its error (see Ready). Only in cgroup
	// v2, when the process sits on the path to pods, whose controllers
	// New enables, does New move it before it returns.
	MoveSelf bool
	// FavorDynMods turns on cgroup2's favordynmods option on the cgroup2
	// mount (unified or hybrid), keeping its other options: every later
	// cgroup migration, the runtime's at each container create and exec
	// among them, then skips the RCU grace period it waits for otherwise.
	// It is done in the background, before the move into gcs; a kernel
	// that lacks the option (before 6.0) or a layout without cgroup2 only
	// leaves migrations as they were (logged).
	FavorDynMods bool
	// Log receives the Manager's logs; nil means the standard logger.
	Log *logrus.Entry
}

// Manager owns the GCS's cgroup layout under a parent path:
//
//	<parent>/gcs        the daemon itself (not limited; its usage is watched
//	                    against -gcs-mem-limit-bytes, see WatchMemory)
//	<parent>/pods       every container, memory limited to total RAM minus
//	                    -root-mem-reserve-bytes, tasks limited below the
//	                    machine's task limit (see setPodsPidsLimit)
//	<parent>/pods/<id>  one container (handed to the OCI runtime as
//	                    linux.cgroupsPath; the runtime creates it)
//
// Its methods are safe for concurrent use.
type Manager struct {
	parent       string
	gcsThreshold int64
	pollEvery    time.Duration
	reserve      int64
	moveSelf     bool
	favor        bool
	log          *logrus.Entry
	mode         string
	sys          system
	watch        watchers
	spawner      spawner
	ready        ready
	// ram returns the machine's total RAM: totalRAM, a seam for tests.
	ram func() (int64, error)
	// podsLimitMu orders the writes of the pods memory limit: a recompute
	// reads the total RAM and writes its limit under it, so that one that
	// read the total before a hot-add cannot write after one that read it
	// after.
	podsLimitMu sync.Mutex

	closeOnce sync.Once
	closeErr  error
}

// New detects the cgroup mode, makes the gcs and pods cgroups under
// opts.Parent with their memory limits and, with opts.MoveSelf, moves the
// calling process into gcs, in the background (see Options.MoveSelf). On
// failure whatever it made is removed again.
func New(opts Options) (*Manager, error) {
	parent := opts.Parent
	if parent == "" {
		parent = "/"
	}
	if !path.IsAbs(parent) {
		return nil, fmt.Errorf("cgroup parent %q is not an absolute path", opts.Parent)
	}
	if opts.RootMemoryReserve < 0 {
		return nil, fmt.Errorf("negative root memory reserve %d", opts.RootMemoryReserve)
	}
	m := &Manager{
		parent:       path.Clean(parent),
		gcsThreshold: opts.GCSMemoryThreshold,
		pollEvery:    opts.PollInterval,
		reserve:      opts.RootMemoryReserve,
		moveSelf:     opts.MoveSelf,
		favor:        opts.FavorDynMods,
		log:          opts.Log,
		ready:        ready{done: make(chan struct{})},
		ram:          totalRAM,
	}
	if m.pollEvery <= 0 {
		m.pollEvery = DefaultPollInterval
	}
	if m.reserve == 0 {
		m.reserve = DefaultRootMemoryReserve
	}
	if m.log == nil {
		m.log = logrus.NewEntry(logrus.StandardLogger())
	}
	m.log = m.log.WithField("cgroup-parent", m.parent)
	err := m.setup()
	later := false
	if err == nil {
		later, err = m.settle()
	}
	if err != nil {
		m.ready.finish(err)
		if cerr := m.Close(); cerr != nil {
			m.log.WithError(cerr).Warn("undo partial cgroup setup")
		}
		return nil, fmt.Errorf("set up cgroups under %s: %w", m.parent, err)
	}
	m.log.WithFields(logrus.Fields{"mode": m.mode, "gcs-mem-threshold": m.gcsThreshold, "root-mem-reserve": m.reserve}).
		Info("cgroups ready")
	if !later {
		m.ready.finish(nil)
		if m.favor && !m.moveSelf {
			// With a move, settle has turned it on already.
			go m.favorDynMods()
		}
		return m, nil
	}
	go m.moveSelfInBackground()
	return m, nil
}

// Mode returns "v1" (legacy or hybrid hierarchies) or "v2" (unified).
func (m *Manager) Mode() string {
	return m.mode
}

// ContainerPath returns the cgroup path of container id: "<parent>/pods/<id>",
// cleaned and absolute.
func (m *Manager) ContainerPath(id string) string {
	return path.Join(m.podsPath(), id)
}

// runtimePath is the cgroup of the OCI runtime invocations and the utility
// VM's own processes.
func (m *Manager) runtimePath() string {
	return path.Join(m.parent, runtimeName)
}

// gcsPath is the daemon's cgroup path.
func (m *Manager) gcsPath() string {
	return path.Join(m.parent, gcsName)
}

// podsPath is the cgroup path holding every container.
func (m *Manager) podsPath() string {
	return path.Join(m.parent, podsName)
}

// SetPodsMemoryLimit sets the memory limit of the pods cgroup in bytes; zero
// or less removes it.
func (m *Manager) SetPodsMemoryLimit(limit int64) error {
	m.podsLimitMu.Lock()
	defer m.podsLimitMu.Unlock()
	return m.setPodsMemoryLimit(limit)
}

// setPodsMemoryLimit is SetPodsMemoryLimit with podsLimitMu held.
func (m *Manager) setPodsMemoryLimit(limit int64) error {
	if err := m.setMemoryLimit(m.podsPath(), limit); err != nil {
		return fmt.Errorf("set pods memory limit to %d: %w", limit, err)
	}
	return nil
}

// RecomputePodsMemoryLimit sets the pods memory limit to the total RAM of the
// machine (which grows with hot-added memory) minus the root reserve, never
// below MinPodsMemoryLimit.
func (m *Manager) RecomputePodsMemoryLimit() error {
	m.podsLimitMu.Lock()
	defer m.podsLimitMu.Unlock()
	total, err := m.ram()
	if err != nil {
		return fmt.Errorf("recompute pods memory limit: %w", err)
	}
	limit := podsLimit(total, m.reserve)
	if err := m.setPodsMemoryLimit(limit); err != nil {
		return err
	}
	m.log.WithFields(logrus.Fields{"total-ram": total, "pods-mem-limit": limit}).Debug("pods memory limit set")
	return nil
}

// podsLimit is total minus reserve, floored at MinPodsMemoryLimit.
func podsLimit(total, reserve int64) int64 {
	return max(total-reserve, MinPodsMemoryLimit)
}

// Stats returns the statistics of the cgroup at path in the LCOWMetrics
// shape, whatever the cgroup version, with the reference post-processing:
// Blkio is always empty, Rdma is emptied when present, Network is nil.
func (m *Manager) Stats(ctx context.Context, path string) (*prot.Metrics, error) {
	p, err := cleanCgroupPath(path)
	if err != nil {
		return nil, fmt.Errorf("cgroup stats: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cgroup stats of %s: %w", p, err)
	}
	s, err := m.stats(p)
	if err != nil {
		return nil, fmt.Errorf("cgroup stats of %s: %w", p, err)
	}
	postProcess(s)
	return s, nil
}

// postProcess trims the document as the reference does to keep replies
// small.
func postProcess(s *prot.Metrics) {
	s.Blkio = &prot.BlkIOStat{}
	if s.Rdma != nil {
		s.Rdma = &prot.RdmaStat{}
	}
	s.Network = nil
}

// Pids returns every process id in the cgroup at path and its descendants
// (from cgroup.procs; in v1 from the pids hierarchy, else the memory one),
// sorted and without duplicates. A missing cgroup is an error that matches
// fs.ErrNotExist.
func (m *Manager) Pids(path string) ([]uint32, error) {
	p, err := cleanCgroupPath(path)
	if err != nil {
		return nil, fmt.Errorf("list cgroup pids: %w", err)
	}
	pids, err := m.pids(p)
	if err != nil {
		return nil, fmt.Errorf("list pids of cgroup %s: %w", p, err)
	}
	return pids, nil
}

// Remove removes what is left of a container's cgroup in every hierarchy,
// deepest directories first. A cgroup that does not exist is fine; one that
// still holds processes is an error. path must lie under <parent>/pods.
func (m *Manager) Remove(path string) error {
	p, err := m.containerCgroup(path)
	if err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	if err := m.remove(p); err != nil {
		return fmt.Errorf("remove cgroup %s: %w", p, err)
	}
	return nil
}

// Kill ends with SIGKILL every process in a container's cgroup tree, in
// every hierarchy, and waits until ctx ends for the tree to hold none. It
// is for what no runtime state knows: the processes a runtime killed in the
// middle of a create leaves in the cgroup, which keep it from being
// removed. A cgroup that does not exist holds none. path must lie under
// <parent>/pods.
func (m *Manager) Kill(ctx context.Context, path string) error {
	p, err := m.containerCgroup(path)
	if err != nil {
		return fmt.Errorf("kill cgroup: %w", err)
	}
	if err := m.kill(ctx, p); err != nil {
		return fmt.Errorf("kill the processes of cgroup %s: %w", p, err)
	}
	return nil
}

// containerCgroup cleans path and checks that it lies under <parent>/pods.
func (m *Manager) containerCgroup(path string) (string, error) {
	p, err := cleanCgroupPath(path)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(p, m.podsPath()+"/") {
		return "", fmt.Errorf("cgroup %s is not under %s", p, m.podsPath())
	}
	return p, nil
}

// Close stops WatchMemory's watches, moves the process back out of gcs if
// New moved it there (waiting for that move to end, at most
// ReadyTimeout), then removes gcs, pods (if no container cgroup is left in
// it) and the parent (if New created it and it is empty). A move that has
// not ended by then may still write where the process came from, so the
// cgroups are left as they are and Close fails. Later calls return the
// first result.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		if err := m.ready.wait(context.Background()); err != nil && !m.readyEnded() {
			m.watch.stop()
			m.closeErr = fmt.Errorf("cgroups under %s left in place: %w", m.parent, err)
			return
		}
		m.watch.stop()
		m.spawner.close()
		if err := m.teardown(); err != nil {
			m.closeErr = fmt.Errorf("remove cgroups under %s: %w", m.parent, err)
		}
	})
	return m.closeErr
}

// readyEnded reports whether the move into gcs has ended, well or not.
func (m *Manager) readyEnded() bool {
	select {
	case <-m.ready.done:
		return true
	default:
		return false
	}
}

// cleanCgroupPath checks that p is an absolute cgroup path and cleans it.
func cleanCgroupPath(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("cgroup path %q is not absolute", p)
	}
	return path.Clean(p), nil
}
