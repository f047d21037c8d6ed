package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/framework"
	"github.com/linux-gcs/gcs/internal/policy/policytest"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// With -initial-policy-stance deny every guarded request is refused until
// the host sets a policy, and a refusal leaves nothing behind: no mount
// point, no bundle, no cgroup, no container. The empty policy (the open
// door, and not confidential: a non-empty policy, the open-door Rego
// included, turns on the confidential checks as in the reference) then
// lifts the closed door, once.
func TestPolicyClosedDoorUntilOpenDoor(t *testing.T) {
	f := testutil.NewFakeDevices(t)
	f.AddDisk(t, 1, "sdp", layerImage(t, "hello.txt", "hello\n"))
	h := newHostEnv(t, "runc", append(f.Args(), "-initial-policy-stance", "deny")...)
	ctx := testCtx(t)

	disk := &prot.LCOWMappedVirtualDisk{MountPath: filepath.Join(h.dir, "mounts", "scsi", "m1"), Lun: 1, ReadOnly: true}
	wantRefused(t, "disk mount", h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk))
	if _, err := os.Lstat(disk.MountPath); err == nil {
		t.Errorf("denied disk mount left %s", disk.MountPath)
	}

	id := h.id("closed")
	rootfs := filepath.Join(h.bundle(id), "rootfs")
	layers := &prot.LCOWCombinedLayers{ContainerID: id, ContainerRootPath: rootfs, Layers: []prot.Layer{{Path: h.layer}}, ScratchPath: filepath.Join(h.bundle(id), "scratch")}
	wantRefused(t, "overlay", h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, layers))
	if _, mounted := mounttest.Mounted(t, rootfs); mounted {
		t.Errorf("denied overlay is mounted")
	}

	spec := specFor("true")
	spec.Root.Path = h.layer
	err := h.c.CreateContainer(ctx, id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: h.bundle(id), OCISpecification: spec,
	})
	wantRefused(t, "create", err)
	if _, err := os.Stat(filepath.Join(h.bundle(id), "config.json")); err == nil {
		t.Errorf("denied create wrote config.json")
	}
	if h.cgroupLeft(id) {
		t.Errorf("denied create left a cgroup")
	}
	if err := h.c.DeleteContainerState(ctx, id); client.HResult(err) != prot.HrVmcomputeSystemNotFound {
		t.Errorf("denied container is known: %v", err)
	}

	_, err = h.c.ExecuteProcess(ctx, prot.NullContainerID, &prot.ProcessParameters{CommandArgs: []string{"true"}, IsExternal: true}, prot.ExecuteProcessVsockStdioRelaySettings{})
	wantRefused(t, "external process", err)
	_, err = h.c.GetProperties(ctx, id, prot.PtProcessList)
	wantRefused(t, "properties", err)
	_, err = h.c.DumpStacks(ctx)
	wantRefused(t, "dump stacks", err)

	// The empty policy lifts the closed door: everything is allowed.
	if err := h.setPolicy(""); err != nil {
		t.Fatalf("empty policy: %v", err)
	}
	if err := h.setPolicy(framework.OpenDoorPolicy()); client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "already") {
		t.Errorf("second policy: %v", err)
	}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
		t.Fatalf("disk after the open door: %v", err)
	}
	if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeMappedVirtualDisk, disk); err != nil {
		t.Fatal(err)
	}
	id = h.id("open")
	if err := h.create(id, specFor("sh", "-c", "echo $GREETING")); err != nil {
		t.Fatalf("create after the open door: %v", err)
	}
	if _, err := h.c.DumpStacks(ctx); err != nil {
		t.Errorf("dump stacks after the open door: %v", err)
	}
	if _, err := h.c.GetProperties(ctx, id, prot.PtProcessList); err != nil {
		t.Errorf("properties after the open door: %v", err)
	}
}

// Without any policy (the open door by default) and with the empty policy
// nothing is refused: the existing container tests run that way; here
// the SecurityPolicy request itself succeeds once and a second one fails.
func TestPolicyEmptyIsOpenDoor(t *testing.T) {
	h := newHostEnv(t, "runc")
	if err := h.setPolicy(""); err != nil {
		t.Fatalf("empty policy: %v", err)
	}
	if err := h.setPolicy(""); client.HResult(err) != prot.HrFail {
		t.Errorf("second policy: %v", err)
	}
	id := h.id("empty")
	if err := h.create(id, specFor("sh", "-c", "echo hi")); err != nil {
		t.Fatal(err)
	}
	s := h.listenStdio(false, true, false)
	pid, err := h.startInit(id, s)
	if err != nil {
		t.Fatal(err)
	}
	out := h.readAll(s.out)
	if code := h.wait(id, pid); code != 0 {
		t.Errorf("exit %d", code)
	}
	if got := <-out; got != "hi\n" {
		t.Errorf("stdout %q", got)
	}
}

// runtime_logging decides whether the daemon logs: the closed door refuses
// it, so nothing is logged until a policy allows it (as the reference
// discards its log output): the open door, or a Rego policy allowing it,
// whose first decision waits until logging is decided.
func TestPolicyRuntimeLogging(t *testing.T) {
	unit, err := os.ReadFile("../internal/policy/testdata/unit/policy.rego")
	if err != nil {
		t.Fatal(err)
	}
	logging := strings.Replace(string(unit), "allow_runtime_logging := false", "allow_runtime_logging := true", 1)
	if logging == string(unit) {
		t.Fatal("unit policy without allow_runtime_logging := false")
	}
	for _, tc := range []struct{ name, policy string }{
		{"open door", framework.OpenDoorPolicy()},
		{"rego", logging},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostEnv(t, "runc", "-initial-policy-stance", "deny")
			ctx := testCtx(t)
			const failed = "bridge: request failed"
			if _, err := h.c.GetProperties(ctx, "missing-1", prot.PtProcessList); err == nil {
				t.Fatal("properties of a missing container")
			}
			if err := h.setPolicy(tc.policy); err != nil {
				t.Fatal(err)
			}
			if _, err := h.c.GetProperties(ctx, "missing-2", prot.PtProcessList); err == nil {
				t.Fatal("properties of a missing container")
			}
			// The log is read through a pipe: give it a moment to arrive.
			logged := func() bool { return strings.Contains(h.g.log(), failed) && strings.Contains(h.g.log(), "missing-2") }
			for deadline := time.Now().Add(10 * time.Second); !logged() && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			if !logged() {
				t.Fatalf("nothing logged once the policy allows it:\n%s", h.g.log())
			}
			// The log is one ordered stream: had the first failure been
			// logged, it would be there before the second.
			if strings.Contains(h.g.log(), "missing-1") {
				t.Errorf("logged under the closed door:\n%s", h.g.log())
			}
		})
	}
}

// A policy that compiles alone but not with the framework (its containers
// constant is a number the framework indexes) is answered before the
// compile with the framework is done, which then fails: every request the
// policy decides is refused with the compile error, as the reference
// refuses the policy itself, and the daemon goes on answering.
func TestPolicyCompileErrorRefusesDecisions(t *testing.T) {
	code, err := os.ReadFile("../internal/policy/testdata/unit/policy.rego")
	if err != nil {
		t.Fatal(err)
	}
	illTyped, ok := policytest.IllTyped(string(code))
	if !ok {
		t.Fatal("unit policy without containers then external_processes")
	}
	h := newHostEnv(t, "runc")
	if err := h.setPolicy(illTyped); err != nil {
		t.Fatalf("SecurityPolicy: %v", err)
	}
	ctx := testCtx(t)
	_, err = h.c.DumpStacks(ctx)
	wantRefused(t, "DumpStacks", err)
	if d, perr := policy.ParseDecision(err.Error()); perr != nil {
		t.Errorf("DumpStacks refused without a decision: %v: %v", err, perr)
	} else if msg, _ := d["policyError"].(string); !strings.Contains(msg, "compile policy") {
		t.Errorf("DumpStacks refused without the compile error: %v", d)
	}
	if err := h.create(h.id("c"), specFor("true")); err == nil {
		t.Error("a container created under a policy that does not compile")
	}
	if err := h.setPolicy(framework.OpenDoorPolicy()); err == nil || !strings.Contains(err.Error(), "already been set") {
		t.Errorf("second SecurityPolicy = %v, want already set", err)
	}
	if err := noop(h.c); err != nil {
		t.Fatalf("daemon after the failed compile: %v", err)
	}
}
