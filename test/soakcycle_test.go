package test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// soakInitCode is the exit code of every soak container's init, which
// runs until SIGTERM.
const soakInitCode = 42

// cycle is one container's life: layers, create, start, an exec waited
// for, the init stopped with SIGTERM and waited for, the notification,
// delete, layers removed. Every outcome is counted in res.
func (e *soakEnv) cycle(i int, res *soakResult) {
	id := fmt.Sprintf("soak-%s-%04d", e.rt, i)
	bundle := filepath.Join(e.root, "c", id)
	rootfs := filepath.Join(bundle, "rootfs")
	layers := &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeCombinedLayers,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWCombinedLayers{
			ContainerRootPath: rootfs,
			Layers:            []prot.Layer{{Path: e.layer}},
			ScratchPath:       filepath.Join(bundle, "scratch"),
		},
	}
	full := e.isDiskFull()
	res.add("cycles")
	if err, _ := e.do(true, func(ctx context.Context, c *client.Client) error {
		return c.ModifySettings(ctx, prot.NullContainerID, layers)
	}); err != nil {
		res.fail(e.cause("layers", full, false), err)
		return
	}
	defer func() {
		rm := *layers
		rm.RequestType = prot.RequestTypeRemove
		if err, _ := e.do(true, func(ctx context.Context, c *client.Client) error {
			return c.ModifySettings(ctx, prot.NullContainerID, &rm)
		}); err != nil {
			res.fail("cleanup.layers", err)
		}
	}()

	spec := testutil.Spec(rootfs, "/bin/sh", "-c",
		"trap 'exit "+strconv.Itoa(soakInitCode)+"' TERM; while :; do sleep 0.05; done")
	addLayers := func() error {
		err, _ := e.do(true, func(ctx context.Context, c *client.Client) error {
			return c.ModifySettings(ctx, prot.NullContainerID, layers)
		})
		return err
	}
	err, interrupted := e.create(id, addLayers, &prot.VMHostedContainerSettingsV2{
		SchemaVersion:    prot.SchemaVersion{Major: 2, Minor: 1},
		OCIBundlePath:    bundle,
		OCISpecification: spec,
		ScratchDirPath:   filepath.Join(bundle, "scratch"),
	})
	if err != nil {
		// The state root's file system full before or after the create
		// (or the error saying so) is the disk-full fault's doing.
		full = full || e.isDiskFull() || strings.Contains(strings.ToLower(err.Error()), "no space left on device")
		what := e.cause("create", full, interrupted)
		if e.wasKilled(id) {
			what = "create.runtime-killed"
		}
		res.fail(what, err)
		return
	}
	res.add("create.ok")
	e.markCreated(id)
	defer func() {
		if err, _ := e.do(true, func(ctx context.Context, c *client.Client) error {
			return c.DeleteContainerState(ctx, id)
		}); err != nil {
			res.fail("cleanup.delete", err)
		}
	}()

	initPid, err := e.startInit(id, bundle)
	if err != nil {
		res.fail("start", err)
		e.forceStop(id, res)
		e.awaitNotification(id, res)
		return
	}
	code := uint32(1 + i%200)
	stdioClose := e.cfg.faults["stdio-close"] && i%10 == 3
	pid, err := e.exec(id, code, stdioClose)
	switch {
	case err == nil:
		res.add("exec.ok")
		e.waitFor(res, id, pid, int(code), "exec")
	case transportFailed(err):
		res.fail("exec.dropped", err) // no pid: nothing to wait for
	default:
		res.fail("exec", err)
	}
	soakAwaitTrap(initPid)
	if err, _ := e.do(true, func(ctx context.Context, c *client.Client) error {
		return c.SignalProcess(ctx, id, initPid, 15)
	}); err != nil {
		res.fail("signal", err)
	}
	e.waitFor(res, id, initPid, soakInitCode, "init")
	e.awaitNotification(id, res)
}

// create creates the container. A create cut off by a dropped bridge has
// an unknown outcome (the daemon may still be creating it, or may have
// aborted it when the connection went, removing the bundle and with it the
// rootfs mount point): its state is polled until the container is created
// or gone, and for a gone one the layers are added again and the create
// retried.
func (e *soakEnv) create(id string, addLayers func() error, cfg *prot.VMHostedContainerSettingsV2) (err error, interrupted bool) {
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			if _, serr := os.Stat(cfg.OCISpecification.Root.Path); serr != nil {
				if err := addLayers(); err != nil {
					return err, interrupted
				}
			}
		}
		var cut bool
		err, cut = e.do(false, func(ctx context.Context, c *client.Client) error {
			return c.CreateContainer(ctx, id, cfg)
		})
		interrupted = interrupted || cut
		if !cut && !(interrupted && client.HResult(err) == prot.HrVmcomputeAlreadyExists) {
			return err, interrupted
		}
		if e.createdAfterAll(id) {
			return nil, interrupted
		}
	}
	return err, interrupted
}

// createdAfterAll waits until container id is either created (true) or
// unknown to the daemon (false).
func (e *soakEnv) createdAfterAll(id string) bool {
	deadline := time.Now().Add(soakWaitBound)
	for time.Now().Before(deadline) {
		err, _ := e.do(true, func(ctx context.Context, c *client.Client) error {
			_, err := c.GetProperties(ctx, id)
			return err
		})
		switch client.HResult(err) {
		case prot.HrOK:
			return true
		case prot.HrVmcomputeSystemNotFound:
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// cause names what failed, with the fault in effect.
func (e *soakEnv) cause(what string, diskFull, interrupted bool) string {
	switch {
	case interrupted:
		return what + ".dropped"
	case diskFull:
		return what + ".disk-full"
	}
	return what
}

// startInit starts the container and returns its init's pid (from the
// pid file the runtime wrote, since the reply may be lost to a drop).
func (e *soakEnv) startInit(id, bundle string) (uint32, error) {
	if err, _ := e.do(true, func(ctx context.Context, c *client.Client) error {
		return c.Start(ctx, id)
	}); err != nil {
		return 0, err
	}
	started := false
	err, _ := e.do(true, func(ctx context.Context, c *client.Client) error {
		_, err := c.ExecuteProcess(ctx, id, &prot.ProcessParameters{}, prot.ExecuteProcessVsockStdioRelaySettings{})
		if err != nil && started && client.HResult(err) == prot.HrFail && strings.Contains(err.Error(), "already started") {
			return nil
		}
		started = true
		return err
	})
	if err != nil {
		return 0, err
	}
	b, err := os.ReadFile(filepath.Join(bundle, "init.pid"))
	if err != nil {
		return 0, err
	}
	pid, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	return uint32(pid), err
}

// exec runs the exec that lets the init go, its output on a relay port;
// with stdioClose the host side closes that port at once while the
// process writes 256 KiB.
func (e *soakEnv) exec(id string, code uint32, stdioClose bool) (uint32, error) {
	port, ln, err := e.relay.Listen(context.Background())
	if err != nil {
		return 0, err
	}
	go func() {
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if !stdioClose {
			_, _ = io.Copy(io.Discard, c)
		}
	}()
	script := "echo soak; exit " + strconv.Itoa(int(code))
	if stdioClose {
		script = "head -c 262144 /dev/zero; exit " + strconv.Itoa(int(code))
	}
	var pid uint32
	err, _ = e.do(false, func(ctx context.Context, c *client.Client) error {
		var err error
		pid, err = c.ExecuteProcess(ctx, id, &prot.ProcessParameters{CreateStdOutPipe: true, OCIProcess: process("/bin/sh", "-c", script)},
			prot.ExecuteProcessVsockStdioRelaySettings{StdOut: port})
		return err
	})
	if err != nil {
		ln.Close()
	}
	return pid, err
}

// soakAwaitTrap waits, bounded, until the init (seen from here by its pid)
// is the shell and catches SIGTERM. It is its pid namespace's pid 1, for which the kernel
// drops a signal it has no handler for: a SIGTERM sent before the shell
// set its trap is lost and the init runs on.
func soakAwaitTrap(pid uint32) {
	deadline := time.Now().Add(soakWaitBound)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return // gone: nothing to wait for
		}
		// Until it has exec'd the shell it is the runtime's (runc's, in
		// Go, catches everything).
		if !strings.HasPrefix(string(b), "Name:\tsh\n") {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if mask, ok := strings.CutPrefix(l, "SigCgt:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64); err == nil && m&(1<<(15-1)) != 0 {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// forceStop kills the container so its init's wait can finish.
func (e *soakEnv) forceStop(id string, res *soakResult) {
	if err, _ := e.do(true, func(ctx context.Context, c *client.Client) error {
		return c.ShutdownForced(ctx, id)
	}); err != nil && client.HResult(err) != prot.HrVmcomputeAlreadyStopped {
		res.fail("shutdown", err)
	}
}

// waitFor waits for pid's exit, across dropped connections, and counts
// how it was answered: the expected code (want < 0 accepts any), another
// code, an error (after a drop or not), or no answer.
func (e *soakEnv) waitFor(res *soakResult, id string, pid uint32, want int, what string) {
	res.add("wait." + what)
	interrupted := false
	for attempt := 0; attempt < 4; attempt++ {
		c, next := e.client()
		ctx, cancel := soakCtx()
		code, err := c.WaitForProcess(ctx, id, pid, -1)
		cancel()
		switch {
		case err == nil && (want < 0 || int(code) == want):
			res.add("wait.ok")
			if interrupted {
				res.add("wait.ok-after-drop")
			}
			return
		case err == nil:
			res.fail("wait.wrong-code", fmt.Errorf("%s %s/%d exited %d, want %d", what, id, pid, code, want))
			return
		case errors.Is(err, context.DeadlineExceeded):
			res.fail("wait.no-answer", fmt.Errorf("%s %s/%d: %w", what, id, pid, err))
			return
		case transportFailed(err):
			interrupted = true
			select {
			case <-next:
			case <-time.After(time.Minute):
			}
			continue
		case interrupted:
			res.fail("wait.error-after-drop", fmt.Errorf("%s %s/%d: %w", what, id, pid, err))
			return
		default:
			res.fail("wait.error", fmt.Errorf("%s %s/%d: %w", what, id, pid, err))
			return
		}
	}
	res.fail("wait.no-answer", fmt.Errorf("%s %s/%d: the connection kept failing", what, id, pid))
}

// awaitNotification waits, bounded, for the container's notification.
func (e *soakEnv) awaitNotification(id string, res *soakResult) {
	if !e.awaitNote(id, soakWaitBound) {
		res.fail("notify.missing", fmt.Errorf("no notification for %s within %v", id, soakWaitBound))
	}
}
