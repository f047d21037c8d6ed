package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

const regoPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// regoCaps are the capabilities of testutil.Spec, which the policy lists.
var regoCaps = []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}

// generatedPolicy is a policy shaped like the reference's generator
// writes them (see internal/policy/testdata/corpus/generated): one
// container whose only layer is the busybox image with root digest
// layerHash (as the guest reads it from the image's dm-verity superblock),
// one exec and one external process, and the framework's rules. Without
// device-mapper a layer cannot be mounted through dm-verity: layerDir then
// names a directory that a custom mount_overlay rule accepts as the only
// layer, recording what the framework's would (a custom policy, as the
// reference allows), so that the rest is decided by the framework all the
// same.
func generatedPolicy(layerHash, layerDir string) string {
	caps, _ := json.Marshal(map[string][]string{
		"bounding": regoCaps, "effective": regoCaps, "inheritable": {}, "permitted": regoCaps, "ambient": regoCaps,
	})
	envRules := fmt.Sprintf(`[{"pattern": %q, "strategy": "string", "required": false}, {"pattern": "TERM=xterm", "strategy": "string", "required": false}]`, regoPath)
	rules := []string{"mount_device", "rw_mount_device", "mount_blockdev", "unmount_device", "rw_unmount_device",
		"unmount_blockdev", "mount_overlay", "unmount_overlay", "mount_cims", "registry_changes", "create_container",
		"exec_in_container", "exec_external", "shutdown_container", "signal_container_process", "plan9_mount",
		"plan9_unmount", "get_properties", "dump_stacks", "runtime_logging", "load_fragment", "scratch_mount",
		"scratch_unmount", "log_provider", "load_transparency_trust_list", "host_network", "reason"}
	var b strings.Builder
	fmt.Fprintf(&b, `package policy

import rego.v1

api_version := "0.12.0"
framework_version := "0.5.0"

fragments := []
containers := [
    {
        "command": ["sh", "-c", "env; exec sleep 1000"],
        "env_rules": %s,
        "layers": [%q],
        "capabilities": %s,
        "mounts": [],
        "exec_processes": [{"command": ["sh", "-c", "echo exec-ok"], "signals": []}],
        "signals": [9],
        "user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [{"pattern": "", "strategy": "any"}], "umask": "0022"},
        "seccomp_profile_sha256": "",
        "allow_elevated": false,
        "working_dir": "/",
        "allow_stdio_access": true,
        "no_new_privileges": false,
    },
]
external_processes := [
    {"command": ["echo", "ext-ok"], "env_rules": [{"pattern": %q, "strategy": "string", "required": false}], "working_dir": "/", "allow_stdio_access": true},
]
allow_properties_access := true
allow_dump_stacks := false
allow_runtime_logging := true
allow_host_network := false
allow_environment_variable_dropping := true
allow_unencrypted_scratch := true
allow_capability_dropping := true
allow_log_provider_dropping := false

`, envRules, layerHash, caps, regoPath)
	for _, r := range rules {
		if r == "mount_overlay" && layerDir != "" {
			fmt.Fprintf(&b, `default mount_overlay := {"allowed": false}

mount_overlay := {"allowed": true, "metadata": [
	{"name": "matches", "action": "add", "key": input.containerID, "value": data.policy.containers},
	{"name": "overlayTargets", "action": "add", "key": input.target, "value": true},
]} if {
	input.layerPaths == [%q]
	not data.metadata.overlayTargets[input.target]
}
`, layerDir)
			continue
		}
		fmt.Fprintf(&b, "%s := data.framework.%s\n", r, r)
	}
	return b.String()
}

// regoSpec is the container the policy allows, but for args and env.
func regoSpec(rootfs string, env []string, args ...string) *oci.Spec {
	spec := testutil.Spec(rootfs, args...)
	spec.Process.Env = env
	spec.Mounts = policy.DefaultMounts()[:8] // one cgroup mount: the cgroup v1 one
	return spec
}

// confContainer is where a confidential VM wants container id's files.
type confContainer struct{ id, bundle, rootfs, scratch string }

func (h *hostEnv) confContainer(name string) confContainer {
	id := confID(name)
	bundle := filepath.Join(h.root, "c", id)
	return confContainer{id: id, bundle: bundle, rootfs: filepath.Join(bundle, "rootfs"), scratch: filepath.Join(bundle, "scratch", id)}
}

func (c confContainer) layers(layer string) *prot.LCOWCombinedLayers {
	return &prot.LCOWCombinedLayers{ContainerID: c.id, ContainerRootPath: c.rootfs, Layers: []prot.Layer{{Path: layer}}, ScratchPath: c.scratch}
}

func (h *hostEnv) createConf(c confContainer, spec *oci.Spec) error {
	return h.c.CreateContainer(testCtx(h.t), c.id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: c.bundle,
		OCISpecification: spec, ScratchDirPath: c.scratch,
	})
}

// A real policy, generated for the busybox layer the test builds: the
// layer's disk mounts (the guest reading its dm-verity root digest) and
// another image's is refused, overlays of mounted policy layers mount and
// others do not, the policy's container is created with the environment it
// keeps and another is refused, as are execs, external processes, signals,
// DumpStacks the policy does not list; every refusal is E_FAIL with the
// decision, and leaves nothing behind.
func TestPolicyRegoEnforced(t *testing.T) {
	f := newFakeDevices(t)
	busybox, hash := verityLayer(t, testutil.BusyboxRootfs(t), 16<<20)
	other, _ := verityLayer(t, t.TempDir(), 4<<20)
	f.addDisk(t, 1, "sdv", busybox)
	f.addDisk(t, 2, "sdw", other)
	h := newHostEnv(t, "runc", f.args()...)
	ctx := testCtx(t)
	scsi := func(n int) string { return filepath.Join(h.dir, "mounts", "scsi", fmt.Sprintf("m%d", n)) }
	t.Cleanup(func() { // whatever a failure left mounted
		for _, p := range []string{h.confContainer("a").rootfs, h.confContainer("b").rootfs, scsi(1), scsi(2)} {
			unix.Unmount(p, unix.MNT_DETACH)
		}
	})
	dm := deviceMapper()
	layer, layerDir := scsi(1), ""
	if !dm {
		t.Log("no device-mapper: the layer is a directory, mounted by a custom overlay rule")
		layer, layerDir = h.layer, h.layer
	}
	if err := h.setPolicy(generatedPolicy(hash, layerDir)); err != nil {
		t.Fatalf("set policy: %v", err)
	}

	// Devices: only the policy's layer, read-only, with the "ro" option.
	wantDenied(t, "other image", h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk,
		&prot.LCOWMappedVirtualDisk{MountPath: scsi(2), Lun: 2, ReadOnly: true, Options: []string{"ro"}}))
	if _, err := os.Lstat(scsi(2)); err == nil {
		t.Errorf("refused disk left its mount point")
	}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk,
		&prot.LCOWMappedVirtualDisk{MountPath: scsi(1), Lun: 1, ReadOnly: true}); client.HResult(err) != prot.HrFail {
		t.Errorf("read-only disk without the ro option: %v", err)
	}
	disk := &prot.LCOWMappedVirtualDisk{MountPath: scsi(1), Lun: 1, ReadOnly: true, Options: []string{"ro"}}
	if dm {
		if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
			t.Fatalf("policy layer: %v", err)
		}
	}

	// Overlays: of mounted policy layers only, at the paths the VM wants.
	a, b := h.confContainer("a"), h.confContainer("b")
	bad := a.layers(filepath.Join(h.dir, "layers", "unknown"))
	wantDenied(t, "overlay of an unknown layer", h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, bad))
	if _, mounted := mounttest.Mounted(t, a.rootfs); mounted {
		t.Fatalf("refused overlay is mounted")
	}
	notHex := a.layers(layer)
	notHex.ContainerID, notHex.ContainerRootPath = "plain-id", filepath.Join(h.root, "c", "plain-id", "rootfs")
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, notHex); client.HResult(err) != prot.HrFail {
		t.Errorf("overlay for a non-hex id: %v", err)
	}
	for _, c := range []confContainer{a, b} {
		if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, c.layers(layer)); err != nil {
			t.Fatalf("overlay of the policy layer: %v", err)
		}
	}

	// Create: the policy's container, less the variable it does not list.
	env := []string{regoPath, "TERM=xterm", "SECRET=hush"}
	wantDenied(t, "create of another command", h.createConf(b, regoSpec(b.rootfs, env, "sh", "-c", "echo evil")))
	if _, err := os.Stat(filepath.Join(b.bundle, "config.json")); err == nil {
		t.Errorf("refused create wrote config.json")
	}
	if h.cgroupLeft(b.id) {
		t.Errorf("refused create left a cgroup")
	}
	if err := h.c.DeleteContainerState(ctx, b.id); client.HResult(err) != prot.HrVmcomputeSystemNotFound {
		t.Errorf("refused container is known: %v", err)
	}
	if _, mounted := mounttest.Mounted(t, b.rootfs); !mounted {
		t.Errorf("refused create unmounted the host's overlay")
	}
	if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, b.layers(layer)); err != nil {
		t.Errorf("remove overlay of the refused container: %v", err)
	}
	if err := h.createConf(a, regoSpec(a.rootfs, env, "sh", "-c", "env; exec sleep 1000")); err != nil {
		t.Fatalf("create the policy's container: %v", err)
	}
	s := h.listenStdio(false, true, false)
	pid, err := h.startInit(a.id, s)
	if err != nil {
		t.Fatal(err)
	}
	out := h.readAll(s.out)

	// Exec: the listed process only.
	execProc := func(args ...string) *oci.Process {
		p := regoSpec("", []string{regoPath}, args...).Process
		return p
	}
	es := h.listenStdio(false, true, false)
	epid, err := h.exec(a.id, execProc("sh", "-c", "echo exec-ok"), es)
	if err != nil {
		t.Fatalf("listed exec: %v", err)
	}
	eout := h.readAll(es.out)
	if code := h.wait(a.id, epid); code != 0 {
		t.Errorf("exec exited %d", code)
	}
	if got := <-eout; got != "exec-ok\n" {
		t.Errorf("exec stdout %q", got)
	}
	_, err = h.exec(a.id, execProc("sh", "-c", "echo nope"), &streams{})
	wantDenied(t, "unlisted exec", err)

	// External processes: the listed one only.
	xs := h.listenStdio(false, true, false)
	xpid, err := h.c.ExecuteProcess(ctx, prot.NullContainerID, &prot.ProcessParameters{
		CommandArgs: []string{"echo", "ext-ok"}, Environment: map[string]string{"PATH": strings.TrimPrefix(regoPath, "PATH=")},
		WorkingDirectory: "/", IsExternal: true, CreateStdOutPipe: true,
	}, xs.settings)
	if err != nil {
		t.Fatalf("listed external process: %v", err)
	}
	xout := h.readAll(xs.out)
	h.wait(prot.NullContainerID, xpid)
	if got := <-xout; got != "ext-ok\n" {
		t.Errorf("external stdout %q", got)
	}
	_, err = h.c.ExecuteProcess(ctx, prot.NullContainerID, &prot.ProcessParameters{
		CommandArgs: []string{"cat", "/etc/hostname"}, WorkingDirectory: "/", IsExternal: true,
	}, prot.ExecuteProcessVsockStdioRelaySettings{})
	wantDenied(t, "unlisted external process", err)

	// Properties are allowed, stacks are not.
	if _, err := h.c.GetProperties(ctx, a.id, prot.PtProcessList); err != nil {
		t.Errorf("properties: %v", err)
	}
	_, err = h.c.DumpStacks(ctx)
	wantDenied(t, "dump stacks", err)

	// The overlay of a running container stays.
	if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, a.layers(layer)); client.HResult(err) != prot.HrFail {
		t.Errorf("remove overlay in use: %v", err)
	}
	if _, mounted := mounttest.Mounted(t, a.rootfs); !mounted {
		t.Fatalf("overlay in use was unmounted")
	}

	// Signals: SIGKILL to the init is listed, SIGUSR1 is not.
	wantDenied(t, "unlisted signal", h.c.SignalProcess(ctx, a.id, pid, int32(unix.SIGUSR1)))
	if err := h.c.SignalProcess(ctx, a.id, pid, int32(unix.SIGKILL)); err != nil {
		t.Fatalf("listed signal: %v", err)
	}
	h.wait(a.id, pid)
	got := <-out
	if !strings.Contains(got, "TERM=xterm") || strings.Contains(got, "SECRET") {
		t.Errorf("container environment %q: want TERM kept and SECRET dropped", got)
	}

	// Teardown in the order a confidential VM wants: overlay, state, disk.
	if err := h.c.DeleteContainerState(ctx, a.id); client.HResult(err) != prot.HrFail {
		t.Errorf("delete under a mounted overlay: %v", err)
	}
	if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, a.layers(layer)); err != nil {
		t.Fatalf("remove overlay: %v", err)
	}
	if err := h.c.DeleteContainerState(ctx, a.id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if dm {
		if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
			t.Fatalf("unmount the layer: %v", err)
		}
	}
	if err := h.setPolicy(generatedPolicy(hash, layerDir)); client.HResult(err) != prot.HrFail {
		t.Errorf("second policy: %v", err)
	}
}
