package hcsv2

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/containerd/console"
	oci "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/runtime"
	"github.com/linux-gcs/gcs/internal/stdio"
)

// Container is one container the host created.
type Container struct {
	host       *Host
	log        *logrus.Entry
	id         string
	activityID string // Create's, echoed in the exit notification
	bundle     string
	scratch    string
	rootfs     string
	spec       *oci.Spec
	kind       containerKind
	// sandboxID is the pod of a sandbox or workload container; pod is
	// its registration (set during Create, then fixed), and podDir a
	// virtual pod's root, removed with its sandbox.
	sandboxID string
	pod       *pod
	podDir    string
	// virtualRoot is the root a virtual pod's sandbox will have for its
	// pod (virtualPodRoot), fixed before the container is in the table so
	// that checkOthersPaths can read it.
	virtualRoot string
	cgroupPath  string
	ownsPidNS   bool
	// netNS is the host's network namespace id the container's adapters
	// are registered under ("" for none).
	netNS    string
	attached bool
	// staged are the workload's shared mount sources as its runtime
	// create sees them (see stageSharedSources).
	staged *staged

	// decisions are the policy's answers to Create, settled when it ends;
	// noStdio is set when the policy keeps the container's stdio from
	// the host (see enforce_create.go).
	decisions []*policy.Decision
	noStdio   bool

	// initIO is the init's stdio, made at Create and connected at start.
	initPipes  *stdio.PipeRelay
	initTTY    *stdio.ConsoleSocket
	initMaster console.Console
	init       *process
	// stdioCtx ends when the container is torn down or deleted: the
	// init's output connections stop re-dialing then.
	stdioCtx  context.Context
	stopStdio context.CancelFunc

	mu       sync.Mutex
	created  bool
	started  bool
	deleted  bool
	exitType prot.NotificationType
	execs    map[uint32]*process
	// deleting is the deletion of the container under way, nil when
	// none is (see deletion).
	deleting *deletion

	// Bookkeeping of waits on the init, so that the notification follows
	// every wait reply (see notify.go).
	initWaiters  int
	initAnswered int
	waitEvents   chan struct{}
}

func newContainer(h *Host, id, activityID string) *Container {
	stdioCtx, stopStdio := context.WithCancel(context.Background())
	return &Container{
		stdioCtx:   stdioCtx,
		stopStdio:  stopStdio,
		host:       h,
		log:        h.log.WithField("cid", id),
		id:         id,
		activityID: activityID,
		exitType:   prot.NtUnexpectedExit,
		execs:      make(map[uint32]*process),
		waitEvents: make(chan struct{}, 1),
	}
}

func (c *Container) isCreated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.created
}

// markDeleted records that the host no longer tracks the container, so its
// exit is never notified, and wakes the exit watch if it is waiting.
func (c *Container) markDeleted() {
	c.mu.Lock()
	c.deleted = true
	c.mu.Unlock()
	c.stopStdio()
	select {
	case c.waitEvents <- struct{}{}:
	default:
	}
}

// isDeleted reports whether the container is being or was deleted (see
// markDeleted).
func (c *Container) isDeleted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deleted
}

func (c *Container) isStarted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started
}

// process finds pid among the container's init and live execs.
func (c *Container) process(pid uint32) (*process, error) {
	if c.init != nil && c.init.pid == pid {
		return c.init, nil
	}
	c.mu.Lock()
	p, ok := c.execs[pid]
	c.mu.Unlock()
	if !ok {
		return nil, prot.Errorf(prot.HrElementNotFound, "process %d not found in container %s", pid, c.id)
	}
	return p, nil
}

// addExec records a started exec under its pid (see putProcess).
func (c *Container) addExec(p *process) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !putProcess(c.execs, p) {
		return prot.Errorf(prot.HrFail, "container %s: process %d is already tracked and running", c.id, p.pid)
	}
	return nil
}

// releaseExec drops an exec after its exit was delivered.
func (c *Container) releaseExec(p *process) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.execs[p.pid] == p {
		delete(c.execs, p.pid)
	}
}

// setExitType records how the container is being stopped, returning the
// previous value so a failed kill can restore it.
func (c *Container) setExitType(t prot.NotificationType) prot.NotificationType {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.exitType
	c.exitType = t
	return prev
}

// kill has the runtime signal the container's init, or with all every
// process of the container. The exit type is recorded before the signal
// is sent, so the notification can never observe the exit without it; a
// failed delivery restores the old type. A runtime that could not do it
// (see runtimeKillFailed) is done without: see killWithoutRuntime.
func (c *Container) kill(ctx context.Context, sig int, exitType prot.NotificationType, all bool) error {
	prev := c.setExitType(exitType)
	err := c.host.opts.Runtime.Kill(ctx, c.id, sigOf(sig), all)
	if err == nil {
		return nil
	}
	if runtimeKillFailed(err) {
		ferr := c.killWithoutRuntime(ctx, sigOf(sig), all)
		if ferr == nil {
			c.log.WithError(err).WithFields(logrus.Fields{"signal": sig, "all": all}).
				Warn("runtime kill failed; the container was signalled without it")
			return nil
		}
		err = errors.Join(err, ferr)
	}
	c.restoreExitType(exitType, prev)
	switch {
	case errors.Is(err, runtime.ErrNotRunning):
		return prot.WithHResult(prot.HrVmcomputeAlreadyStopped, err)
	case errors.Is(err, runtime.ErrNotFound):
		return prot.WithHResult(prot.HrVmcomputeSystemNotFound, err)
	}
	return prot.WithHResult(prot.HrFail, err)
}

// killFallbackTimeout bounds killWithoutRuntime's wait for the container's
// cgroup to empty, as the runtime's own kill is bounded.
const killFallbackTimeout = 10 * time.Second

// runtimeKillFailed reports whether a runtime kill failed without telling
// that the container is gone: the runtime could not be started (a fork
// that fails with EAGAIN or ENOMEM when a container has taken the tasks or
// memory of the VM), it crashed, timed out or failed for a reason of its
// own. A container that does not exist or no longer runs needs no kill.
func runtimeKillFailed(err error) bool {
	return err != nil && !errors.Is(err, runtime.ErrNotRunning) && !errors.Is(err, runtime.ErrNotFound)
}

// killWithoutRuntime signals the container with no fork, so that the host
// can stop it when the runtime cannot run: with all, SIGKILL to every
// process of the container's cgroup (cgroup.Manager.Kill, which waits for
// the cgroup to empty, at most killFallbackTimeout); else the init alone,
// by its pidfd, which is what the runtime's kill of the init does.
func (c *Container) killWithoutRuntime(ctx context.Context, sig unix.Signal, all bool) error {
	if !all {
		if c.init == nil {
			return fmt.Errorf("signal the init of container %s: not started", c.id)
		}
		return c.init.signal(sig)
	}
	cg := c.host.opts.Cgroups
	if sig != unix.SIGKILL || cg == nil || c.cgroupPath == "" {
		return fmt.Errorf("kill every process of container %s: no cgroup to kill with %s", c.id, unix.SignalName(sig))
	}
	// Its own bound, not the request's: the runtime may have failed
	// because the request's context ended, and the kill must still run.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killFallbackTimeout)
	defer cancel()
	if err := cg.Kill(ctx, c.cgroupPath); err != nil {
		return fmt.Errorf("kill the cgroup of container %s: %w", c.id, err)
	}
	return nil
}

// restoreExitType puts back prev if the exit type is still set, the one a
// failed signal recorded.
func (c *Container) restoreExitType(set, prev prot.NotificationType) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exitType == set {
		c.exitType = prev
	}
}

// signalInit sends SIGTERM or SIGKILL to the init process alone (pid-safe,
// see process.signal), recording the exit type first.
func (c *Container) signalInit(sig unix.Signal) error {
	exitType := exitTypeOf(int(sig))
	prev := c.setExitType(exitType)
	if err := c.init.signal(sig); err != nil {
		c.restoreExitType(exitType, prev)
		return err
	}
	return nil
}

// teardown kills and deletes the container and removes what the GCS made
// for it, on daemon exit. A deletion under way is waited for, and done
// here after all if it was refused (the container was still running).
func (c *Container) teardown(ctx context.Context) error {
	for {
		d, joined := c.beginDeletion()
		if !joined {
			err := c.forceDelete(ctx)
			c.endDeletion(d, true, err)
			return err
		}
		if gone, err := d.wait(ctx, c.id); gone || ctx.Err() != nil {
			return err
		}
	}
}

// forceDelete is teardown's work, done once for the container.
func (c *Container) forceDelete(ctx context.Context) error {
	c.markDeleted()
	rt := c.host.opts.Runtime
	var errs []error
	if err := rt.Delete(ctx, c.id, true); err != nil && !errors.Is(err, runtime.ErrNotFound) {
		errs = append(errs, err)
	}
	if err := c.awaitInitEnd(ctx); err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, c.removeFiles()...)
	return errors.Join(errs...)
}

// awaitInitEnd waits for the container's init to end, at most until ctx
// ends (when the delete failed the init may live on). An init known to
// have ended gets its clean-up all the same: the end of ctx (a teardown
// cut short) may be ready at the same time as the init's end, or come
// while its output is still being drained, and neither may leave the
// files and mounts of a dead container behind. Only an init still alive
// is given up on.
func (c *Container) awaitInitEnd(ctx context.Context) error {
	if c.init == nil {
		return nil
	}
	select {
	case <-c.init.done:
		return nil
	case <-ctx.Done():
	}
	if c.init.hasExited() {
		c.log.Debug("teardown cut short after the init ended; cleaning up the container all the same")
		return nil
	}
	return fmt.Errorf("wait for the init of container %s to end: %w", c.id, ctx.Err())
}

// removeFiles removes the container's cgroup, scratch and bundle (see
// removeStateDirs), gives its network adapters back to the utility VM and
// leaves its pod.
func (c *Container) removeFiles() []error {
	var errs []error
	if err := c.detachNetwork(); err != nil {
		errs = append(errs, err)
	}
	if c.initPipes != nil {
		c.initPipes.Close()
	}
	if c.initTTY != nil {
		c.initTTY.Close()
	}
	if c.initMaster != nil && !c.isStarted() {
		c.initMaster.Close()
	}
	if c.cgroupPath != "" && c.host.opts.Cgroups != nil {
		if err := c.host.opts.Cgroups.Remove(c.cgroupPath); err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup: %w", err))
		}
	}
	errs = append(errs, c.removeStateDirs()...)
	// The pod (and a virtual pod's id) is let go only once its directories
	// are gone: a new sandbox of the same pod id must not find, and then
	// lose to this removal, the root it makes.
	if err := c.leavePod(); err != nil {
		errs = append(errs, err)
	}
	c.removeEmptyPodDirs()
	return errs
}
