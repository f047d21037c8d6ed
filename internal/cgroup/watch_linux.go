package cgroup

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// WatchMemory watches, until ctx ends or Close is called, the memory usage
// of the gcs cgroup against Options.GCSMemoryThreshold and the OOM events of
// the pods cgroup, and logs them (see "Memory events" in the package
// documentation). It returns once the watches are in place; a second call
// is an error. It waits for the daemon's move into gcs first (see
// Options.MoveSelf), at most ReadyTimeout and no longer than ctx lasts.
func (m *Manager) WatchMemory(ctx context.Context) error {
	if err := m.waitReady(ctx); err != nil {
		return fmt.Errorf("watch cgroup memory: %w", err)
	}
	ctx, ok := m.watch.begin(ctx)
	if !ok {
		return errors.New("watch cgroup memory: already watching")
	}
	if m.sys.l.v2 {
		m.watch.start(ctx, func(ctx context.Context) {
			m.pollV2(ctx, filepath.Join(m.sys.l.unified, m.gcsPath()), filepath.Join(m.sys.l.unified, m.podsPath()))
		})
		return nil
	}
	h, ok := m.sys.l.controller("memory")
	if !ok {
		return errors.New("watch cgroup memory: no memory controller")
	}
	if err := m.watchV1(ctx, h.mount); err != nil {
		m.watch.stop()
		return fmt.Errorf("watch cgroup memory: %w", err)
	}
	return nil
}

// watchV1 registers the v1 eventfds and starts their readers.
func (m *Manager) watchV1(ctx context.Context, mnt string) error {
	gcs, pods := filepath.Join(mnt, m.gcsPath()), filepath.Join(mnt, m.podsPath())
	oom, err := registerV1Event(pods, "memory.oom_control", "")
	if err != nil {
		return err
	}
	var kills uint64
	m.readEvents(ctx, oom, func(n uint64) {
		if b, err := readBuf(filepath.Join(pods, "memory.oom_control"), nil); err == nil {
			eachKV(b, func(k []byte, v uint64) {
				if string(k) == "oom_kill" {
					kills = v
				}
			})
		}
		m.logOOM(n, kills)
	})
	if m.gcsThreshold <= 0 {
		return nil
	}
	usage := filepath.Join(gcs, "memory.usage_in_bytes")
	ev, err := registerV1Event(gcs, "memory.usage_in_bytes", strconv.FormatInt(m.gcsThreshold, 10))
	if err != nil {
		return err
	}
	// Read after registering, as the kernel places the threshold then;
	// every later crossing, up or down, is one count of the eventfd.
	now, _ := readInt(usage)
	c := &crossing{threshold: m.gcsThreshold, above: now >= m.gcsThreshold}
	m.readEvents(ctx, ev, func(n uint64) {
		now, _ := readInt(usage)
		for range n {
			c.set(!c.above)
			m.logCrossing(c, now)
		}
	})
	return nil
}

// readEvents reads the eventfd f on a watch goroutine, calling fn with each
// count read, until ctx ends; f is closed then.
func (m *Manager) readEvents(ctx context.Context, f *os.File, fn func(n uint64)) {
	stop := context.AfterFunc(ctx, func() { f.Close() })
	m.watch.start(ctx, func(ctx context.Context) {
		defer stop()
		defer f.Close()
		var b [8]byte
		for {
			if _, err := f.Read(b[:]); err != nil {
				if ctx.Err() == nil {
					m.log.WithError(err).Warn("read cgroup memory events; no more are logged")
				}
				return
			}
			fn(binary.NativeEndian.Uint64(b[:]))
		}
	})
}

// registerV1Event makes an eventfd and registers it in the v1 memory cgroup
// dir for the control file with arg (cgroup.event_control). The returned
// file is non-blocking and registered with the poller, so closing it ends a
// pending Read; closing it also unregisters the event.
func registerV1Event(dir, control, arg string) (*os.File, error) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("eventfd for %s: %w", filepath.Join(dir, control), err)
	}
	ev := os.NewFile(uintptr(efd), "eventfd:"+control)
	cfd, err := openRetry(filepath.Join(dir, control), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		ev.Close()
		return nil, fmt.Errorf("open %s: %w", filepath.Join(dir, control), err)
	}
	defer unix.Close(cfd)
	line := fmt.Sprintf("%d %d", efd, cfd)
	if arg != "" {
		line += " " + arg
	}
	if err := writeFile(filepath.Join(dir, "cgroup.event_control"), line); err != nil {
		ev.Close()
		return nil, fmt.Errorf("register event on %s: %w", filepath.Join(dir, control), err)
	}
	return ev, nil
}

// pollV2 reads memory.current of the gcs cgroup dir and memory.events of
// the pods cgroup dir every poll interval until ctx ends.
func (m *Manager) pollV2(ctx context.Context, gcs, pods string) {
	var c *crossing
	if m.gcsThreshold > 0 {
		c = &crossing{threshold: m.gcsThreshold}
	}
	var kills uint64
	first := true
	tick := time.NewTicker(m.pollEvery)
	defer tick.Stop()
	for {
		if c != nil {
			if now, err := readInt(filepath.Join(gcs, "memory.current")); err == nil && c.set(now >= c.threshold) {
				m.logCrossing(c, now)
			}
		}
		if b, err := readBuf(filepath.Join(pods, "memory.events"), nil); err == nil {
			var now uint64
			eachKV(b, func(k []byte, v uint64) {
				if string(k) == "oom_kill" {
					now = v
				}
			})
			// Kills from before the daemon started are not its news.
			if now > kills && !first {
				m.logOOM(now-kills, now)
			}
			kills = now
		}
		first = false
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// readInt reads a single-number cgroup file.
func readInt(path string) (int64, error) {
	b, err := readBuf(path, nil)
	if err != nil {
		return 0, err
	}
	v, err := parseUint(b)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path, err)
	}
	return int64(min(v, 1<<63-1)), nil
}
