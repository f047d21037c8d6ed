package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// podSeparator separates the commands of a pod's workloads on the command
// line.
const podSeparator = "---"

// podLayoutHelp describes --layout and --scratch-disk for both commands.
const podLayoutHelp = `Containers are laid out as one of hcsshim's hosts lays them out (--layout):
  hcsoci      bundles ROOT/c/ID, every scratch on the sandbox's at
              ROOT/c/POD/scratch/ID (the classic host path; the default)
  controller  bundles ROOT/pods/POD/ID, scratch DISK/scratch/POD/ID where
              DISK (--scratch-disk) is a disk mounted below the GCS's mounts
              root, such as /run/mounts/scsi/0_1_0 after gcsctl disk add
pod rm must be given the same --layout and --scratch-disk as pod run.`

// podRunCommand starts a pod: a sandbox and its workloads.
func podRunCommand() command {
	return command{
		name:    "pod run",
		args:    "[--id POD] IMAGE-ROOTFS-DIR CMD [ARG...] [--- CMD [ARG...]]...",
		summary: "start a CRI pod: a sandbox and one workload per CMD, detached",
		detail: `Mounts IMAGE-ROOTFS-DIR (with --layer below it) for each container, creates
the sandbox POD (annotation io.kubernetes.cri.container-type=sandbox; its init
runs --pause) and one workload container per CMD (separated by ---) in it,
sharing its network namespace, /etc/hostname, /etc/hosts and /etc/resolv.conf,
each in the pod's cgroup /pods/POD/ID. A POD of 64 hex digits (the default is
a random one) gives workload ids of 64 hex digits derived from it, as a
security policy wants; any other POD gives POD-1, POD-2, ... Each --mount
SRC:DST is given to every workload; SRC may be sandbox://PATH (a directory
the pod shares), sandbox-tmp://PATH (the same on the pod's tmpfs),
hugepages://SIZE/PATH, uvm:///PATH or a path of the GCS. pod run prints
"ID PID" for the sandbox, then for each workload in CMD order, and exits;
use exec, ps, stats on them, and pod rm to take the pod down.

` + podLayoutHelp,
		negotiate: true,
		setup:     setupPodRun,
	}
}

// podRmCommand takes a pod down.
func podRmCommand() command {
	return command{
		name:    "pod rm",
		args:    "POD",
		summary: "kill and delete pod POD's workloads, then its sandbox, and unmount their layers",
		detail: `Finds the workloads that pod run made (their ids derived from POD as pod run
derives them, up to the first the GCS does not know), then for each workload
and last the sandbox: ShutdownForced, a wait for its init, layers remove and
DeleteContainerState (the order a confidential GCS insists on). A pod whose
sandbox the GCS does not know, and whose sandbox has no rootfs directory left,
is not found (exit 125).

` + podLayoutHelp,
		negotiate: true,
		setup:     setupPodRm,
	}
}

// podOptions are what both pod commands need to find the pod's paths.
type podOptions struct {
	id      string
	layout  string
	disk    string
	layers  []string
	pause   []string
	mounts  []oci.Mount
	host    string
	cmds    [][]string
	runOpts runOptions
}

// registerPodLayout defines --layout and --scratch-disk.
func registerPodLayout(fs *flag.FlagSet, o *podOptions) {
	fs.StringVar(&o.layout, "layout", "hcsoci", "host `LAYOUT` of bundles and scratch: hcsoci or controller")
	fs.StringVar(&o.disk, "scratch-disk", "", "mount point `DISK` of the scratch disk (controller layout)")
}

// checkLayout validates --layout and --scratch-disk.
func (o *podOptions) checkLayout(cmd string) error {
	switch o.layout {
	case "hcsoci":
		if o.disk != "" {
			return usageErrorf("%s: --scratch-disk is for the controller layout", cmd)
		}
	case "controller":
		if o.disk == "" {
			return usageErrorf("%s: the controller layout wants --scratch-disk", cmd)
		}
		abs, err := absPath(o.disk)
		if err != nil {
			return err
		}
		o.disk = abs
	default:
		return usageErrorf("%s: unknown --layout %q (hcsoci or controller)", cmd, o.layout)
	}
	return nil
}

// paths returns container id's paths in the pod under root.
func (o *podOptions) paths(root, id string) containerPaths {
	bundle := filepath.Join(root, "c", id)
	scratch := filepath.Join(root, "c", o.id, "scratch", id)
	if o.layout == "controller" {
		bundle = filepath.Join(root, "pods", o.id, id)
		scratch = filepath.Join(o.disk, "scratch", o.id, id)
	}
	return containerPaths{bundle: bundle, rootfs: filepath.Join(bundle, "rootfs"), scratch: scratch}
}

// hexID matches the container ids a GCS under a security policy accepts.
var hexID = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// workloadID is the id of the pod's nth workload (from 1): POD-n, or, for
// a pod whose id is 64 hex digits (as pod run makes one, and a security
// policy wants), 64 hex digits derived from POD and n, which pod rm finds
// again the same way.
func (o *podOptions) workloadID(n int) string {
	if !hexID.MatchString(o.id) {
		return fmt.Sprintf("%s-%d", o.id, n)
	}
	sum := sha256.Sum256([]byte(o.id + "-" + strconv.Itoa(n)))
	return hex.EncodeToString(sum[:])
}

// setupPodRun defines pod run's flags.
func setupPodRun(fs *flag.FlagSet) parseFunc {
	o := &podOptions{}
	var layers, mounts, env stringList
	var pause string
	fs.StringVar(&o.id, "id", "", "pod (sandbox) `ID` (default: random)")
	fs.StringVar(&o.host, "hostname", "", "the pod's host name `H` (default: the id's first 12 characters)")
	fs.Var(&layers, "layer", "lower layer `DIR` below IMAGE-ROOTFS-DIR; repeat for more, top first")
	fs.Var(&mounts, "mount", "`SRC:DST` mount for every workload; repeat for more")
	fs.Var(&env, "env", "add `K=V` to the workloads' environment; repeat for more")
	fs.StringVar(&pause, "pause", "sleep 2147483647", "the sandbox's init `CMD` (split on spaces)")
	registerPodLayout(fs, o)
	return func(args []string, _ io.Reader) (action, error) {
		if len(args) < 2 {
			return nil, usageErrorf("pod run wants IMAGE-ROOTFS-DIR CMD [ARG...], got %d arguments", len(args))
		}
		if err := o.checkLayout("pod run"); err != nil {
			return nil, err
		}
		if o.id == "" {
			o.id = newID()
		} else if err := checkID(o.id); err != nil {
			return nil, err
		}
		if o.host == "" {
			o.host = o.id[:min(len(o.id), hostnameLength)]
		}
		if err := checkEnv("pod run", env); err != nil {
			return nil, err
		}
		var err error
		if o.layers, err = absPaths(append([]string{args[0]}, layers...)); err != nil {
			return nil, err
		}
		for _, m := range mounts {
			i := strings.LastIndex(m, ":")
			if i <= 0 || i == len(m)-1 || !strings.HasPrefix(m[i+1:], "/") {
				return nil, usageErrorf("pod run: --mount %q: want SRC:/DST", m)
			}
			o.mounts = append(o.mounts, oci.Mount{Source: m[:i], Destination: m[i+1:], Type: "bind", Options: []string{"rbind", "rw"}})
		}
		if o.pause = strings.Fields(pause); len(o.pause) == 0 {
			return nil, usageErrorf("pod run: empty --pause")
		}
		cmd := []string{}
		for _, a := range append(args[1:], podSeparator) {
			if a != podSeparator {
				cmd = append(cmd, a)
				continue
			}
			if len(cmd) == 0 {
				return nil, usageErrorf("pod run: empty workload command")
			}
			o.cmds, cmd = append(o.cmds, cmd), []string{}
		}
		o.runOpts = runOptions{env: env, cwd: "/"}
		return func(ctx context.Context, s *session) error { return runPod(ctx, s, o) }, nil
	}
}

// setupPodRm defines pod rm's flags.
func setupPodRm(fs *flag.FlagSet) parseFunc {
	o := &podOptions{}
	registerPodLayout(fs, o)
	return func(args []string, _ io.Reader) (action, error) {
		if len(args) != 1 {
			return nil, usageErrorf("pod rm wants POD, got %d arguments", len(args))
		}
		if err := o.checkLayout("pod rm"); err != nil {
			return nil, err
		}
		o.id = args[0]
		if err := checkID(o.id); err != nil {
			return nil, err
		}
		return func(ctx context.Context, s *session) error { return podRm(ctx, s, o) }, nil
	}
}

// runPod is the pod run action. If a step fails, what was made is
// removed again.
func runPod(ctx context.Context, s *session, o *podOptions) (err error) {
	if err := s.checkUnused(ctx, o.id); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			cctx, cancel := cleanupContext(ctx)
			defer cancel()
			err = withCleanupError(err, removePod(cctx, s, o))
		}
	}()
	sandbox := o.spec(o.pause, map[string]string{"io.kubernetes.cri.container-type": "sandbox"})
	sandbox.Hostname = o.host
	if err := s.startPodContainer(ctx, o, o.id, sandbox); err != nil {
		return err
	}
	for i, cmd := range o.cmds {
		spec := o.spec(cmd, map[string]string{
			"io.kubernetes.cri.container-type": "container",
			"io.kubernetes.cri.sandbox-id":     o.id,
		})
		spec.Mounts = append(spec.Mounts, o.mounts...)
		if err := s.startPodContainer(ctx, o, o.workloadID(i+1), spec); err != nil {
			return err
		}
	}
	return nil
}

// spec is the default spec (see defaultSpec) running args with the given
// annotations and no hostname of its own.
func (o *podOptions) spec(args []string, annotations map[string]string) *oci.Spec {
	ro := o.runOpts
	ro.args = args
	spec := defaultSpec(&ro, "")
	spec.Hostname = ""
	spec.Annotations = annotations
	return spec
}

// startPodContainer mounts id's layers, creates it from spec and starts
// its init detached, printing "ID PID".
func (s *session) startPodContainer(ctx context.Context, o *podOptions, id string, spec *oci.Spec) error {
	p := o.paths(s.g.root, id)
	if err := s.addLayers(ctx, id, p, o.layers); err != nil {
		return err
	}
	spec.Root = &oci.Root{Path: p.rootfs}
	cfg := &prot.VMHostedContainerSettingsV2{
		SchemaVersion:    prot.SchemaVersion{Major: 2, Minor: 1},
		OCIBundlePath:    p.bundle,
		OCISpecification: spec,
		ScratchDirPath:   p.scratch,
	}
	rctx, cancel := s.createContext(ctx)
	defer cancel()
	if err := s.client.CreateContainer(rctx, id, cfg); err != nil {
		return fmt.Errorf("create container %s: %w", id, err)
	}
	if err := s.client.Start(rctx, id); err != nil {
		return fmt.Errorf("start container %s: %w", id, err)
	}
	pid, err := s.client.ExecuteProcess(rctx, id, new(prot.ProcessParameters), prot.ExecuteProcessVsockStdioRelaySettings{})
	if err != nil {
		return fmt.Errorf("start the init of container %s: %w", id, err)
	}
	return s.printStarted(id, pid)
}

// podRm is the pod rm action: removePod, for a pod that is there. A pod
// whose sandbox the GCS does not know is not found unless its sandbox's
// root file system directory is left (its layers may still be mounted).
func podRm(ctx context.Context, s *session, o *podOptions) error {
	exists, err := s.exists(ctx, o.id)
	if err != nil {
		return fmt.Errorf("pod rm %s: look for its sandbox: %w", o.id, err)
	}
	if !exists {
		if _, err := os.Stat(o.paths(s.g.root, o.id).rootfs); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("pod %s not found: the GCS has no sandbox container %s", o.id, o.id)
		}
	}
	return removePod(ctx, s, o)
}

// removePod takes the pod's workloads down, then its sandbox: each is
// killed, its layers unmounted and its state deleted. Workloads are found by id, up
// to the first the GCS does not know.
func removePod(ctx context.Context, s *session, o *podOptions) error {
	var ids []string
	for n := 1; ; n++ {
		id := o.workloadID(n)
		exists, err := s.exists(ctx, id)
		if err != nil {
			return fmt.Errorf("look for workload %s of pod %s: %w", id, o.id, err)
		}
		if !exists {
			break
		}
		ids = append(ids, id)
	}
	var errs []error
	for _, id := range append(ids, o.id) {
		errs = append(errs, s.removePodContainer(ctx, o, id))
	}
	return errors.Join(errs...)
}

// removePodContainer kills container id, unmounts its layers and deletes
// it (the order a confidential GCS insists on); a container or layers
// already gone are not an error.
func (s *session) removePodContainer(ctx context.Context, o *podOptions, id string) error {
	if _, err := s.killAndWait(ctx, id); err != nil {
		return fmt.Errorf("kill container %s: %w", id, err)
	}
	if err := s.removeLayers(ctx, id, o.paths(s.g.root, id)); err != nil && !strings.Contains(err.Error(), "not mounted") {
		return err
	}
	return s.deleteContainer(ctx, id)
}
