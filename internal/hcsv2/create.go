package hcsv2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/runtime"
	"github.com/linux-gcs/gcs/internal/stdio"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// minSchema is the oldest container configuration schema accepted.
var minSchema = prot.SchemaVersion{Major: 2, Minor: 1}

// consoleTimeout bounds the wait for the runtime to hand over a pty master.
const consoleTimeout = 10 * time.Second

// CreateContainer creates container id from cfg: the bundle, the init
// process (created but not started, its stdio waiting to be connected), and
// the exit watch that will send the notification.
func (h *Host) CreateContainer(ctx context.Context, id, activityID string, cfg *prot.VMHostedContainerSettingsV2) (err error) {
	if cfg.SchemaVersion.Cmp(minSchema) < 0 {
		return prot.Errorf(prot.HrVmcomputeInvalidJSON, "invalid schema version: {%d %d}", cfg.SchemaVersion.Major, cfg.SchemaVersion.Minor)
	}
	if err := validateID(id); err != nil {
		return err
	}
	spec := cfg.OCISpecification
	if err := checkSpec(spec); err != nil {
		return err
	}
	kind, sandboxID, err := kindOf(id, spec)
	if err != nil {
		return err
	}
	if err := h.checkConfidentialCreate(id, sandboxID, cfg); err != nil {
		return err
	}
	bundle := cfg.OCIBundlePath
	if bundle == "" {
		bundle = h.bundleDir(id)
	}
	// The bundle and the scratch are removed recursively when the
	// container goes, so they must be directories of its own.
	if bundle, err = h.checkStatePath("OciBundlePath", bundle); err != nil {
		return err
	}
	scratch := cfg.ScratchDirPath
	if scratch != "" {
		if scratch, err = h.checkStatePath("ScratchDirPath", scratch); err != nil {
			return err
		}
	}
	if err := checkOwnPaths(bundle, scratch); err != nil {
		return err
	}

	c := newContainer(h, id, activityID)
	c.bundle, c.scratch, c.spec, c.kind, c.sandboxID = bundle, scratch, spec, kind, sandboxID
	c.virtualRoot = virtualPodRoot(kind, id, sandboxID, bundle, spec)
	if err := h.reserve(c); err != nil {
		return err
	}
	if err := h.checkOthersPaths(c, sandboxID); err != nil {
		h.forget(c)
		return err
	}
	c.rootfs = rootfsPath(c.bundle, spec)
	defer func() { c.settleCreate(ctx, err) }()
	shaped, err := c.shapeSpec()
	if err != nil {
		h.forget(c)
		return err
	}
	if err := c.enforceCreate(ctx, shaped); err != nil {
		h.forget(c)
		return err
	}
	if kind != kindWorkload && spec.Windows != nil && spec.Windows.Network != nil && !annotationBool(spec, annotationHostNetwork) {
		c.netNS = strings.ToLower(spec.Windows.Network.NetworkNamespace)
	}
	defer func() {
		if err != nil {
			c.abortCreate()
			h.forget(c)
		}
	}()
	defer func() {
		if err := c.staged.unstage(); err != nil {
			c.log.WithError(err).Warn("remove staged mount sources")
		}
		c.staged = nil
	}()
	if err := makeMountSources(shaped.sources); err != nil {
		return err
	}
	if err := c.prepareBundle(ctx, shaped.pod); err != nil {
		return err
	}
	if err := c.createInit(ctx); err != nil {
		return err
	}
	if err := c.attachNetwork(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	c.created = true
	c.mu.Unlock()
	c.log.WithField("pid", c.init.pid).Info("container created")
	return nil
}

// prepareBundle writes the adjusted config.json and the /etc files;
// shaped is the pod a workload's spec was shaped for.
func (c *Container) prepareBundle(ctx context.Context, shaped *pod) error {
	if err := c.makeBundle(); err != nil {
		return err
	}
	etcDir, err := c.prepareKind(ctx, shaped)
	if err != nil {
		return err
	}
	prepareSpec(c.spec, c.kind, c.bundle, etcDir, c.cgroupPath)
	if c.kind == kindWorkload && c.pod != nil {
		if c.staged, err = stageSharedSources(c.spec, c.pod.root, c.id); err != nil {
			return err
		}
	}
	c.ownsPidNS = ownsPidNamespace(c.spec)
	if err := c.addSecurityContext(); err != nil {
		return err
	}
	b, err := json.Marshal(c.spec)
	if err != nil {
		return prot.Errorf(prot.HrFail, "encode config.json: %w", err)
	}
	dir, err := c.host.openStateDir(c.bundle)
	if err != nil {
		return err
	}
	defer dir.Close()
	if err := mount.WriteFileAt(dir, "config.json", b, 0o600); err != nil {
		return prot.Errorf(prot.HrFail, "write config.json: %w", err)
	}
	return nil
}

// makeBundle creates the bundle directory below its state root through
// no symbolic link (checkStatePath checked the path; the host may have
// mounted a file system of its own there since). Only the state root
// itself, which the GCS is configured with, is made as os.MkdirAll would.
func (c *Container) makeBundle() error {
	root, err := mount.RootOf(c.bundle, c.host.stateRoots())
	if err != nil {
		return prot.WithHResult(prot.HrInvalidArg, err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return prot.Errorf(prot.HrFail, "create state root %s: %w", root, err)
	}
	if err := mount.MkdirBelow(root, c.bundle, 0o700); err != nil {
		return prot.Errorf(prot.HrFail, "create bundle: %w", err)
	}
	return nil
}

// openStateDir opens dir, a directory below a state root (a bundle, a pod
// root), through no symbolic link, for files to be written in it with
// mount.WriteFileAt: the host may have mounted a file system of its own
// there, with links planted where the GCS writes.
func (h *Host) openStateDir(dir string) (*os.File, error) {
	root, err := mount.RootOf(dir, h.stateRoots())
	if err != nil {
		return nil, prot.WithHResult(prot.HrInvalidArg, err)
	}
	f, err := mount.OpenDirBelow(root, dir)
	if err != nil {
		return nil, prot.WithHResult(prot.HrFail, err)
	}
	return f, nil
}

// rootfsPath is the spec's root path, taken relative to the bundle as the
// runtime would.
func rootfsPath(bundle string, spec *oci.Spec) string {
	if filepath.IsAbs(spec.Root.Path) {
		return spec.Root.Path
	}
	return filepath.Join(bundle, spec.Root.Path)
}

// ownsPidNamespace reports whether the container gets a pid namespace of
// its own, in which case the kernel kills the rest when the init dies.
func ownsPidNamespace(spec *oci.Spec) bool {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == oci.PIDNamespace {
			return ns.Path == ""
		}
	}
	return false
}

// createInit runs the runtime's create: the init exists, blocked, with its
// stdio on pipes (or a pty) that the first ExecuteProcess connects.
func (c *Container) createInit(ctx context.Context) error {
	opts := runtime.CreateOpts{PidFile: filepath.Join(c.bundle, "init.pid")}
	if c.spec.Process.Terminal {
		sock, err := stdio.NewConsoleSocket(c.bundle)
		if err != nil {
			return prot.WithHResult(prot.HrFail, err)
		}
		c.initTTY = sock
		opts.ConsoleSocket = sock.Path()
	} else {
		pipes, err := stdio.NewDeferredPipeRelay(stdio.PipeOptions{}, c.log)
		if err != nil {
			return prot.WithHResult(prot.HrFail, err)
		}
		c.initPipes = pipes
		opts.IO.Stdin, opts.IO.Stdout, opts.IO.Stderr = pipes.ChildIO()
	}
	// Under a hold the init keeps its pid until Track pins it.
	hold := c.host.opts.Reaper.Hold()
	defer hold.Release()
	pid, err := c.host.opts.Runtime.Create(ctx, c.id, c.bundle, opts)
	if c.initPipes != nil {
		c.initPipes.CloseChildEnds()
	}
	if err != nil {
		switch {
		case errors.Is(err, runtime.ErrExists):
			return prot.WithHResult(prot.HrVmcomputeAlreadyExists, err)
		case errors.Is(err, runtime.ErrInvalidID):
			return prot.WithHResult(prot.HrInvalidArg, err)
		case errors.Is(err, runtime.ErrTimeout):
			return prot.Errorf(prot.HrVmcomputeTimeout, "create container %s: %w", c.id, err)
		}
		return prot.WithHResult(prot.HrFail, err)
	}
	rp, err := hold.Track(pid)
	if err != nil {
		return prot.Errorf(prot.HrFail, "container %s init: %w", c.id, err)
	}
	hold.Release()
	exits := rp.Exit()
	c.init = newProcess(rp, false)
	if c.initTTY != nil {
		rctx, cancel := context.WithTimeout(ctx, consoleTimeout)
		master, err := c.initTTY.ReceiveMaster(rctx)
		cancel()
		if err != nil {
			go c.init.watch(exits, nil)
			return prot.Errorf(prot.HrFail, "receive the init's console: %w", err)
		}
		c.initMaster = master
	}
	rp.OnExit(func() { c.watchInit(exits) })
	return nil
}

// abortCreate undoes a failed Create: the runtime's container, whatever
// is left in the cgroup, the cgroup, the bundle. No notification is ever sent for it.
func (c *Container) abortCreate() {
	c.markDeleted()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.host.opts.Runtime.Delete(ctx, c.id, true); err != nil && !errors.Is(err, runtime.ErrNotFound) {
		c.log.WithError(err).Warn("delete runtime state of failed create")
	}
	if c.init != nil {
		select {
		case <-c.init.done:
		case <-ctx.Done():
		}
	}
	// A runtime killed mid-create leaves its child in the cgroup, unknown
	// to its state and so to its delete.
	if cg := c.host.opts.Cgroups; cg != nil && c.cgroupPath != "" {
		if err := cg.Kill(ctx, c.cgroupPath); err != nil {
			c.log.WithError(err).Warn("end what a failed create left in its cgroup")
		}
	}
	for _, err := range c.removeFiles() {
		c.log.WithError(err).Warn("clean up failed create")
	}
}

// decodeContainerConfig decodes the double-encoded container configuration.
func decodeContainerConfig(s string) (*prot.VMHostedContainerSettingsV2, error) {
	var cfg prot.VMHostedContainerSettingsV2
	if err := decodeJSON([]byte(s), &cfg, "ContainerConfig"); err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	return &cfg, nil
}
