package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// confContainer is where a confidential VM wants container id's files.
type confContainer struct{ id, bundle, rootfs, scratch string }

func (h *hostEnv) confContainer(name string) confContainer {
	id := testutil.ConfidentialID(name)
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
	f := testutil.NewFakeDevices(t)
	busybox, hash := testutil.VerityLayer(t, testutil.BusyboxRootfs(t), 16<<20)
	other, _ := testutil.VerityLayer(t, t.TempDir(), 4<<20)
	f.AddDisk(t, 1, "sdv", busybox)
	f.AddDisk(t, 2, "sdw", other)
	h := newHostEnv(t, "runc", f.Args()...)
	ctx := testCtx(t)
	scsi := func(n int) string { return filepath.Join(h.dir, "mounts", "scsi", fmt.Sprintf("m%d", n)) }
	t.Cleanup(func() { // whatever a failure left mounted
		for _, p := range []string{h.confContainer("a").rootfs, h.confContainer("b").rootfs, h.confContainer("quiet").rootfs, scsi(1), scsi(2)} {
			unix.Unmount(p, unix.MNT_DETACH)
		}
	})
	dm := deviceMapper()
	layer, layerDir := scsi(1), ""
	if !dm {
		t.Log("no device-mapper: the layer is a directory, mounted by a custom overlay rule")
		layer, layerDir = h.layer, h.layer
	}
	if err := h.setPolicy(testutil.GeneratedPolicy(hash, layerDir)); err != nil {
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
	env := []string{testutil.RegoPath, "TERM=xterm", "SECRET=hush"}
	wantDenied(t, "create of another command", h.createConf(b, testutil.GeneratedPolicySpec(b.rootfs, env, "sh", "-c", "echo evil")))
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
	// Confidential-mode checks come first; a refused host network undoes
	// the create_container decision it followed.
	hooked := testutil.GeneratedPolicySpec(a.rootfs, env, "sh", "-c", "env; exec sleep 1000")
	hooked.Hooks = &oci.Hooks{Prestart: []oci.Hook{{Path: "/bin/true"}}}
	if err := h.createConf(a, hooked); client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "Hooks") {
		t.Errorf("create with hooks: %v", err)
	}
	elsewhere := a
	elsewhere.bundle = filepath.Join(h.root, "c", "elsewhere")
	if err := h.createConf(elsewhere, testutil.GeneratedPolicySpec(a.rootfs, env, "sh", "-c", "env; exec sleep 1000")); client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "OCIBundlePath") {
		t.Errorf("create with another bundle: %v", err)
	}
	hostNet := testutil.GeneratedPolicySpec(a.rootfs, env, "sh", "-c", "env; exec sleep 1000")
	hostNet.Annotations = map[string]string{"io.microsoft.virtualmachine.lcow.hostnetwork": "true"}
	if err := h.createConf(a, hostNet); client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "host network denied by policy") {
		t.Errorf("create on the host network: %v", err)
	}
	if err := h.createConf(a, testutil.GeneratedPolicySpec(a.rootfs, env, "sh", "-c", "env; exec sleep 1000")); err != nil {
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
		p := testutil.GeneratedPolicySpec("", []string{testutil.RegoPath}, args...).Process
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
		CommandArgs: []string{"echo", "ext-ok"}, Environment: map[string]string{"PATH": strings.TrimPrefix(testutil.RegoPath, "PATH=")},
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
	// A container without stdio access: nothing is connected, it runs.
	q := h.confContainer("quiet")
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, q.layers(layer)); err != nil {
		t.Fatal(err)
	}
	if err := h.createConf(q, testutil.GeneratedPolicySpec(q.rootfs, []string{testutil.RegoPath}, "sh", "-c", "echo quiet")); err != nil {
		t.Fatalf("create the quiet container: %v", err)
	}
	qs := h.listenStdio(false, true, false)
	qpid, err := h.startInit(q.id, qs)
	if err != nil {
		t.Fatal(err)
	}
	if code := h.wait(q.id, qpid); code != 0 {
		t.Errorf("quiet container exited %d", code)
	}
	// The GCS dials stdio before it answers the start: a connection would
	// be there by now (the accept is given a moment, not the dial).
	select {
	case <-qs.out:
		t.Errorf("the host got the stdout of a container without stdio access")
	case <-time.After(time.Second):
	}
	if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, q.layers(layer)); err != nil {
		t.Fatal(err)
	}
	if err := h.c.DeleteContainerState(ctx, q.id); err != nil {
		t.Fatal(err)
	}

	if dm {
		if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
			t.Fatalf("unmount the layer: %v", err)
		}
	}
	if err := h.setPolicy(testutil.GeneratedPolicy(hash, layerDir)); client.HResult(err) != prot.HrFail {
		t.Errorf("second policy: %v", err)
	}
}
