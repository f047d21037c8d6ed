package daemon

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"github.com/linux-gcs/gcs/internal/kmsg"
	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/timesync"
)

// dutiesDelay is how long after Run began the duties start at the latest;
// the first Negotiate reply starts them sooner. Some of them cost the
// start-up dearly: registering a cgroup v1 memory threshold waits for an
// RCU grace period (about 10 ms).
const dutiesDelay = time.Second

// duties are what the daemon does beside serving the bridge, each on its
// own goroutine until the daemon closes.
type duties struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	once    sync.Once
	mu      sync.Mutex // held while launching, so stop waits for it
	stopped bool
}

func newDuties() *duties {
	ctx, cancel := context.WithCancel(context.Background())
	return &duties{ctx: ctx, cancel: cancel}
}

// start runs fn on its own goroutine.
func (u *duties) start(fn func(ctx context.Context)) {
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		fn(u.ctx)
	}()
}

// launch runs fn, which starts the duties, once, unless stop came first.
func (u *duties) launch(fn func()) {
	u.once.Do(func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		if !u.stopped {
			fn()
		}
	})
}

// stop ends every duty and waits for them; none is launched after it.
func (u *duties) stop() {
	u.mu.Lock()
	u.stopped = true
	u.mu.Unlock()
	u.cancel()
	u.wg.Wait()
}

// launchDuties starts the duties, once: after the first Negotiate reply or
// dutiesDelay after Run began, so that they do not delay that reply.
func (d *Daemon) launchDuties() {
	d.duties.launch(d.startDuties)
}

// startDuties starts the kernel log forwarding, the memory watches, the
// periodic pods limit and time sync, as configured. None of them failing
// stops the daemon.
func (d *Daemon) startDuties() {
	// The runtime's sealed copy (runc's takes ~30 ms), before a Create
	// would make it on its own path.
	if d.runtime != nil {
		d.duties.start(func(context.Context) { d.runtime.Prepare() })
	}
	if d.cfg.Kmsg != "" {
		d.duties.start(func(ctx context.Context) {
			log := d.log.WithField("component", "kmsg")
			if err := kmsg.Forward(ctx, d.cfg.Kmsg, d.cfg.KmsgLevel, log); err != nil {
				log.WithError(err).Error("kernel log no longer forwarded")
			}
		})
	}
	if d.cgroups == nil {
		return
	}
	// Watching is a diagnosis, not a condition of serving: a kernel
	// without the events is logged and the daemon carries on. On its own
	// goroutine: it waits for the daemon's move into its cgroup, and a
	// v1 threshold registration for an RCU grace period.
	d.duties.start(func(ctx context.Context) {
		if err := d.cgroups.WatchMemory(ctx); err != nil {
			d.log.WithError(err).Warn("cgroup memory events are not logged")
		}
	})
	interval := d.cfg.PodsMemoryInterval
	if interval <= 0 {
		interval = DefaultPodsMemoryInterval
	}
	d.duties.start(func(ctx context.Context) { d.recomputePodsMemory(ctx, interval) })
	if d.cfg.TimeSync {
		d.duties.start(func(ctx context.Context) {
			timesync.Run(ctx, timesync.Options{
				SysRoot: d.cfg.SysRoot, DevRoot: d.cfg.DevRoot, ConfDir: d.cfg.Root,
				Run: d.runService, Log: d.log.WithField("component", "timesync"),
			})
		})
	} else {
		d.log.Info("time sync disabled (-disable-time-sync)")
	}
}

// recomputePodsMemory sets the pods memory limit again every interval, so
// that memory hot-added to the VM reaches the containers.
func (d *Daemon) recomputePodsMemory(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := d.cgroups.RecomputePodsMemoryLimit(); err != nil {
			d.log.WithError(err).Warn("recompute pods memory limit")
		}
	}
}

// runService runs a utility-VM service such as chronyd to its end, born in
// the runtime cgroup and reaped by the daemon's reaper.
func (d *Daemon) runService(cmd *exec.Cmd) error {
	var ch <-chan reaper.Exit
	err := d.cgroups.SpawnInRuntimeCgroup(cmd, func() (int, error) {
		var err error
		if ch, err = d.reaper.Start(cmd); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	if err != nil {
		return err
	}
	e, err := d.reaper.Wait(cmd, ch)
	if err != nil {
		return err
	}
	if e.Code() != 0 {
		return fmt.Errorf("%s: %s", cmd.Path, e)
	}
	return nil
}
