package daemon

import (
	"context"
	"errors"
	"fmt"
	"github.com/linux-gcs/gcs/internal/attest"
	"github.com/linux-gcs/gcs/internal/policy"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/cgroup"
	"github.com/linux-gcs/gcs/internal/hcsv2"
	"github.com/linux-gcs/gcs/internal/memtrim"
	"github.com/linux-gcs/gcs/internal/network"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/runtime"
	"github.com/linux-gcs/gcs/internal/storage/scsi"
	"github.com/linux-gcs/gcs/internal/transport"
)

// redialDelay is the pause before dialing the host again after a
// connection ended, so that a host that accepts and drops at once is not
// hammered.
const redialDelay = 100 * time.Millisecond

// trimDelay is how long the daemon is left alone after start-up, a host
// connection or a policy installation before it gives back the memory that
// needed (see memtrim).
const trimDelay = time.Second

// teardownTimeout bounds the clean-up of containers when the daemon stops.
const teardownTimeout = 60 * time.Second

// Daemon is a configured GCS.
type Daemon struct {
	cfg     Config
	log     *logrus.Entry
	server  *bridge.Server
	host    *hcsv2.Host
	runtime *runtime.Runtime
	reaper  *reaper.Reaper
	cgroups *cgroup.Manager
	duties  *duties
	trim    *memtrim.Idle

	stopOnce sync.Once
	stop     chan struct{} // closed by the "exit" shutdown action

	// stopping is closed when the daemon begins to stop (see Stopping).
	stoppingOnce sync.Once
	stopping     chan struct{}

	// teardown is the context of the containers' teardown when the
	// daemon stops; AbortTeardown ends it.
	teardown      context.Context
	abortTeardown context.CancelFunc
}

// New builds a Daemon from cfg: the reaper (the daemon becomes the child
// subreaper), the cgroup layout, the OCI runtime and the host state. A
// configuration without Root serves the bridge alone.
func New(cfg Config) (*Daemon, error) {
	log := cfg.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	if !cfg.V4 {
		log.Warn("started without -v4: every request will be answered with E_NOTIMPL, as the reference does")
	}
	d := &Daemon{cfg: cfg, log: log, stop: make(chan struct{}), stopping: make(chan struct{}), duties: newDuties(),
		trim: memtrim.NewIdle(trimDelay, log.WithField("component", "memtrim"))}
	d.teardown, d.abortTeardown = context.WithCancel(context.Background())
	if cfg.Root != "" {
		if err := d.buildHost(); err != nil {
			d.close()
			return nil, err
		}
	}
	var handler bridge.Handler = routes(cfg, d.host, d.launchDuties)
	if cfg.V4 && d.host != nil {
		handler = d.markShutdown(handler)
	}
	d.server = bridge.NewServer(bridge.Options{
		Handler:        handler,
		Sequential:     cfg.Sequential,
		MaxMessageSize: cfg.MaxMessageSize,
		Log:            log,
	})
	// Start-up touched much of the binary once (package initialisation of
	// the policy engine above all): an idle daemon needs little of it.
	d.trim.Soon()
	return d, nil
}

func (d *Daemon) buildHost() error {
	rp, err := reaper.New(d.log.WithField("component", "reaper"))
	if err != nil {
		return fmt.Errorf("start the reaper: %w", err)
	}
	d.reaper = rp
	cg, err := cgroup.New(cgroup.Options{
		Parent:             d.cfg.CgroupParent,
		GCSMemoryThreshold: d.cfg.GCSMemoryThreshold,
		RootMemoryReserve:  d.cfg.RootMemoryReserve,
		MoveSelf:           true,
		FavorDynMods:       d.cfg.CgroupFavorDynMods,
		Log:                d.log.WithField("component", "cgroup"),
	})
	if err != nil {
		return fmt.Errorf("set up cgroups under %q: %w", d.cfg.CgroupParent, err)
	}
	d.cgroups = cg
	rtBinary := d.cfg.Runtime
	if rtBinary == "" {
		rtBinary = "runc"
	}
	rt := &runtime.Runtime{
		Command: rtBinary,
		Root:    filepath.Join(d.cfg.Root, "runtime"),
		Reaper:  rp,
		Log:     d.log.WithField("component", "runtime"),
		Spawn:   cg.SpawnInRuntimeCgroup,
		Timeout: d.cfg.RuntimeTimeout,
		// Beside the state root, where no host path can lead (bundles
		// and scratch must be below a state root), and on the same
		// tmpfs in a utility VM.
		ScratchDir: scratchDir(d.cfg.Root),
		// Both spend more on protecting their own binary at every
		// invocation than a copy made once costs: crun (0.5 MB) on an
		// exec's work besides it; runc (8 MiB of the daemon's memory,
		// a bind mount per `runc init`) 3-8 % of a create and ~6 % of
		// an exec where page faults are dear (docs/PERFORMANCE.md).
		// Made by a duty, off the first Create's path.
		SealedCopy: sealsCopy(rtBinary),
	}
	d.runtime = rt
	// The host's directories sit beside the state root: /run/gcs,
	// /run/mounts and /run/layers in a utility VM, ROOT's siblings in
	// tests. So does the record of injected fragments (/run/fragments):
	// outside every directory where bundles, scratch or devices may go,
	// so no container's removal nor any mount can take it.
	run := filepath.Dir(filepath.Clean(d.cfg.Root))
	mounts, layers := filepath.Join(run, "mounts"), filepath.Join(run, "layers")
	roots := []string{d.cfg.Root, mounts, layers}
	d.host = hcsv2.NewHost(hcsv2.Options{
		Root:            d.cfg.Root,
		StateRoots:      []string{filepath.Clean(d.cfg.Root), mounts},
		Runtime:         rt,
		Reaper:          rp,
		Cgroups:         cg,
		InitialEnforcer: initialEnforcer(d.cfg.DenyBeforePolicy),
		FragmentsDir:    filepath.Join(run, "fragments"),
		PolicyInstalled: d.trim.Soon,
		CheckPolicy: func(ctx context.Context, encoded string) error {
			return attest.CheckPolicy(ctx, attest.Device{Root: d.cfg.DevRoot}, encoded, d.log.WithField("component", "attest"))
		},
		Network: network.New(network.Options{SysRoot: d.cfg.SysRoot, LookupTimeout: adapterTimeout(d.cfg.DeviceTimeout), Log: d.log.WithField("component", "network")}),
		Devices: hcsv2.Devices{
			SCSI: &scsi.Mounter{
				Lookup:       scsi.Lookup{SysRoot: d.cfg.SysRoot, DevRoot: d.cfg.DevRoot, Timeout: d.cfg.DeviceTimeout},
				AllowedRoots: roots,
				Run:          utilityRunner(rp, cg),
				Log:          d.log.WithField("component", "scsi"),
			},
			AllowedRoots: roots,
			PmemDevRoot:  d.cfg.DevRoot,
			SysRoot:      d.cfg.SysRoot,
		},
		Relay:      d.cfg.Relay,
		Notify:     func(n *prot.ContainerNotification) error { return d.server.Notify(n) },
		ShutdownVM: d.shutdownVM,
		Spawn:      cg.SpawnInRuntimeCgroup,
		Log:        d.log,
		LogOutput:  d.logOutput(),
	})
	return nil
}

// Server returns the bridge server, through which host state publishes
// notifications.
func (d *Daemon) Server() *bridge.Server { return d.server }

// Run serves the bridge until ctx ends or the utility VM is shut down with
// the "exit" action (nil is returned) or, in stdio mode, until the host
// closes the input (nil as well). Connection failures in dial and listen
// modes are logged and followed by a new connection. On return every
// container has been torn down.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	launch := time.AfterFunc(dutiesDelay, d.launchDuties)
	defer launch.Stop()
	go func() {
		select {
		case <-d.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	var err error
	switch {
	case d.cfg.Stdin != nil:
		err = d.runStdio(ctx)
	case d.cfg.Listen:
		err = d.runListen(ctx)
	default:
		err = d.runDial(ctx)
	}
	d.beginStop("serving ended")
	d.close()
	return err
}

// AbortTeardown makes the teardown of the containers, under way or to
// come when Run returns, stop waiting: runtime invocations are killed and
// no exit is waited for, so that what is slow to go is left behind. For a
// second stop signal: the first one asked for a clean stop, the second for
// a prompt one.
func (d *Daemon) AbortTeardown() { d.abortTeardown() }

// close stops the duties, tears down the containers and releases the
// cgroups and reaper.
func (d *Daemon) close() {
	d.trim.Stop()
	d.duties.stop()
	if d.host != nil {
		ctx, cancel := context.WithTimeout(d.teardown, teardownTimeout)
		if err := d.host.Close(ctx); err != nil {
			d.log.WithError(err).Warn("tear down containers")
		}
		cancel()
		d.host = nil
	}
	if d.runtime != nil {
		if err := d.runtime.Close(); err != nil {
			d.log.WithError(err).Warn("release the runtime's sealed copy")
		}
		d.runtime = nil
	}
	if d.cgroups != nil {
		if err := d.cgroups.Close(); err != nil {
			d.log.WithError(err).Warn("remove cgroups")
		}
		d.cgroups = nil
	}
	if d.reaper != nil {
		d.reaper.Close()
		d.reaper = nil
	}
	if d.cfg.Root != "" {
		os.RemoveAll(scratchDir(d.cfg.Root))
	}
}

// sealsCopy reports whether the runtime binary is one known to skip
// guarding itself when run from a sealed copy (runc, crun).
func sealsCopy(binary string) bool {
	switch filepath.Base(binary) {
	case "runc", "crun":
		return true
	}
	return false
}

// scratchDir is the directory of the runtime invocations' files (logs,
// pid and process files) of the daemon whose state root is root.
func scratchDir(root string) string {
	return filepath.Clean(root) + "-runtime-scratch"
}

func (d *Daemon) runStdio(ctx context.Context) error {
	conn := transport.Stdio(pollable(d.cfg.Stdin, "stdin"), pollable(d.cfg.Stdout, "stdout"))
	d.log.Info("serving the bridge on stdin/stdout")
	err := d.server.ServeConn(ctx, conn)
	switch {
	case errors.Is(err, io.EOF), ctx.Err() != nil:
		d.log.Info("bridge input closed; stopping")
		return nil
	default:
		return fmt.Errorf("serve bridge on stdio: %w", err)
	}
}

func (d *Daemon) runDial(ctx context.Context) error {
	for ctx.Err() == nil {
		conn, err := transport.DialRetry(ctx, d.cfg.Bridge, transport.Backoff{
			OnError: func(attempt int, err error) {
				d.log.WithField("attempt", attempt).WithError(err).Debug("bridge dial failed; retrying")
			},
		})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			// DialRetry gives up before ctx only on an address that can
			// never be dialed: say so rather than stop as if asked to.
			return fmt.Errorf("dial the host: %w", err)
		}
		d.serve(ctx, conn)
		sleep(ctx, redialDelay)
	}
	return nil
}

func (d *Daemon) runListen(ctx context.Context) error {
	ln, err := transport.Listen(d.cfg.Bridge)
	if err != nil {
		return fmt.Errorf("listen for the host on %s: %w", d.cfg.Bridge, err)
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer ln.Close()
	d.log.WithField("addr", listenedAddr(d.cfg.Bridge, ln).String()).Info("listening for the host")
	for {
		conn, err := d.accept(ctx, ln)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		d.serve(ctx, conn)
	}
}

// listenedAddr is the address ln listens on, in the syntax of a: the
// port the kernel chose for a TCP address that asked for port 0, which a
// host must be told; other addresses are listened on as given.
func listenedAddr(a transport.Addr, ln net.Listener) transport.Addr {
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && a.Network == transport.NetworkTCP {
		a.Port = uint32(ta.Port)
	}
	return a
}

// serve runs one host connection to its end and logs why it ended.
func (d *Daemon) serve(ctx context.Context, conn net.Conn) {
	log := d.log.WithField("remote", conn.RemoteAddr().String())
	log.Info("host connected")
	d.trim.Soon()
	err := d.server.ServeConn(ctx, conn)
	switch {
	case ctx.Err() != nil:
	case errors.Is(err, io.EOF):
		log.Info("host closed the bridge")
	default:
		log.WithError(err).Warn("bridge connection ended")
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// utilityRunner runs the utility commands storage needs (mkfs, cryptsetup)
// through the reaper, born in the runtime cgroup like runtime invocations,
// so that neither their memory nor a hang of theirs is charged to the
// daemon's own cgroup.
func utilityRunner(rp *reaper.Reaper, cg *cgroup.Manager) func(*exec.Cmd) ([]byte, error) {
	return rp.CombinedOutputVia(cg.SpawnInRuntimeCgroup)
}

// adapterTimeout is how long Network Add waits for its adapter: the
// reference's 5 s, or the device timeout when that is shorter.
func adapterTimeout(device time.Duration) time.Duration {
	if device > 0 && device < network.DefaultLookupTimeout {
		return device
	}
	return network.DefaultLookupTimeout
}

// initialEnforcer is the stance before the host sets a policy: the closed
// door with -initial-policy-stance deny, else the open door (nil).
func initialEnforcer(deny bool) policy.Enforcer {
	if deny {
		return policy.ClosedDoor{}
	}
	return nil
}

// logOutput is where the host state's logging goes while the policy allows
// it: the configured output, else the logger's own.
func (d *Daemon) logOutput() io.Writer {
	if d.cfg.LogOutput != nil {
		return d.cfg.LogOutput
	}
	return d.log.Logger.Out
}
