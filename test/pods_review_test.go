package test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// TestPodWorkloadCreateRacesSandboxDelete sends a workload's Create a
// few milliseconds after its sandbox's DeleteContainerState (the sandbox
// created, not started, so that the deletion goes through the runtime's
// forced delete), with real runtimes, in the controller layout (the
// workload's scratch apart from the sandbox's bundle). When the sandbox's
// deletion succeeds the workload must have been refused by the GCS, never
// have reached the runtime: a workload that joined the pod while the
// deletion removed its root would run without its /etc files and shared
// directories, and it was handed /proc/PID/ns/net of a sandbox init being
// killed, a pid that may soon be another pod's. Whatever the outcome,
// nothing may be left behind (the harness checks mounts, cgroups, runtime
// state and processes).
func TestPodWorkloadCreateRacesSandboxDelete(t *testing.T) {
	l := podLayouts()[1]
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		l.setUp(t, h, "")
		joined := 0
		for i, delay := range []time.Duration{0, 1, 2, 4, 6, 8, 12, 16, 24, 32} {
			delay *= time.Millisecond
			sb, w := h.id("sb"), h.id("w")
			if err := podCreate(t, h, l, sb, sb, podSandboxSpec("racer", "sleep", "1000")); err != nil {
				t.Fatalf("create sandbox %s: %v", sb, err)
			}
			spec := podWorkloadSpec(sb, "sleep", "1000")
			addPodLayers(t, h, l, sb, w, spec)
			ctx := testCtx(t)
			deleted := make(chan error, 1)
			go func() { deleted <- h.c.DeleteContainerState(ctx, sb) }()
			time.Sleep(delay)
			werr := h.c.CreateContainer(ctx, w, podSettings(h, l, sb, w, spec))
			derr := <-deleted
			t.Logf("%d (+%v): workload create: %v; sandbox delete: %v", i, delay, werr, derr)
			if derr == nil && (werr == nil || strings.Contains(werr.Error(), filepath.Base(rt)+" create")) {
				joined++
			}
			if werr == nil {
				if err := h.c.DeleteContainerState(ctx, w); err != nil {
					t.Errorf("delete workload %s: %v", w, err)
				}
			}
		}
		if joined > 0 {
			t.Errorf("%d times a workload joined a pod whose sandbox was being deleted and reached the runtime", joined)
		}
	})
}

// addPodLayers mounts the busybox layer as the rootfs of workload id of
// pod sb where layout l puts it, sets spec's root to it, and removes it
// after the test.
func addPodLayers(t *testing.T, h *hostEnv, l podLayout, sb, id string, spec *oci.Spec) {
	t.Helper()
	bundle, scratch := l.paths(h, sb, id)
	rootfs := filepath.Join(bundle, "rootfs")
	layers := &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeCombinedLayers,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWCombinedLayers{
			ContainerID: id, ContainerRootPath: rootfs,
			Layers: []prot.Layer{{Path: h.layer}}, ScratchPath: scratch,
		},
	}
	if err := h.c.ModifySettings(testCtx(t), prot.NullContainerID, layers); err != nil {
		t.Fatalf("add layers of %s: %v", id, err)
	}
	t.Cleanup(func() {
		if h.g.exited() {
			return
		}
		layers.RequestType = prot.RequestTypeRemove
		if err := h.c.ModifySettings(context.Background(), prot.NullContainerID, layers); err != nil &&
			client.HResult(err) != prot.HrVmcomputeSystemNotFound {
			t.Errorf("remove layers of %s: %v", id, err)
		}
	})
	spec.Root = &oci.Root{Path: rootfs}
}

// podSettings is the Create of container id of pod sb where layout l puts
// it.
func podSettings(h *hostEnv, l podLayout, sb, id string, spec *oci.Spec) *prot.VMHostedContainerSettingsV2 {
	bundle, scratch := l.paths(h, sb, id)
	return &prot.VMHostedContainerSettingsV2{
		SchemaVersion:    prot.SchemaVersion{Major: 2, Minor: 1},
		OCIBundlePath:    bundle,
		OCISpecification: spec,
		ScratchDirPath:   scratch,
	}
}
