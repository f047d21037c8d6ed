package hcsv2

// Races the host can provoke between a pod's sandbox and its workloads.
// The runtime is the long-lived stand-in script (see newPodHost) with a
// delete that waits for the test to let it go: only so can a workload's
// Create be sent, every time, while its sandbox's deletion is inside the
// runtime, a window a real runc offers for some milliseconds only (the
// end-to-end race with runc is in test/pods_review_test.go).

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// newGatedPodHost is newPodHost whose runtime's command op, for container
// id, touches gate/op and then waits for gate/release.
func newGatedPodHost(t *testing.T, op, id string) (fh *fuzzHost, gate string) {
	t.Helper()
	fh = newPodHost(t)
	gate = filepath.Join(fh.root, "gate")
	if err := os.Mkdir(gate, 0o755); err != nil {
		t.Fatal(err)
	}
	script := strings.Replace(longLivedRuntimeScript, op+") ",
		op+`) [ "$id" = `+id+` ] && { touch `+gate+"/"+op+`; while [ ! -e `+gate+`/release ]; do sleep 0.01; done; }; `, 1)
	path := filepath.Join(fh.root, "gated-runtime")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	fh.host.opts.Runtime.Command = path
	return fh, gate
}

// waitFile waits for path to exist.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s never appeared", path)
}

// createReviewSandbox creates sandbox id (not started) and returns it.
func createReviewSandbox(t *testing.T, h *Host, id string) *Container {
	t.Helper()
	sb := podSettings(t, h, id, id, map[string]string{annotationContainerType: "sandbox"}, nil)
	if err := h.CreateContainer(context.Background(), id, "", sb); err != nil {
		t.Fatalf("create sandbox %s: %v", id, err)
	}
	c, err := h.createdContainer(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A workload created while its sandbox's deletion is under way must be
// refused: the deletion removes the pod's root (the workload's /etc
// files, shared directories and, in hcsshim's classic layout, its
// scratch) once it has checked that the pod had no workloads.
func TestPodWorkloadCreateDuringSandboxDelete(t *testing.T) {
	fh, gate := newGatedPodHost(t, "delete", "sb")
	h := fh.host
	ctx := context.Background()
	c := createReviewSandbox(t, h, "sb")
	deleted := make(chan error, 1)
	go func() { deleted <- c.deleteState(ctx) }()
	waitFile(t, filepath.Join(gate, "delete"))

	ann := map[string]string{annotationContainerType: "container", annotationSandboxID: "sb"}
	werr := h.CreateContainer(ctx, "w", "", podSettings(t, h, "w", "sb", ann, nil))
	if err := os.WriteFile(filepath.Join(gate, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	derr := <-deleted
	t.Logf("workload create: %v; sandbox delete: %v", werr, derr)
	if werr == nil {
		if w, err := h.createdContainer("w"); err == nil {
			if err := w.deleteState(ctx); err != nil {
				t.Errorf("delete workload: %v", err)
			}
		}
		t.Fatal("workload created in a pod whose sandbox was being deleted")
	}
	if derr != nil {
		t.Fatalf("sandbox delete: %v", derr)
	}
	if p := registeredPod(h, "sb"); p != nil {
		t.Errorf("pod sb still registered after its sandbox's deletion")
	}
	// The test made the bundle's rootfs, as the host would; nothing of
	// the GCS's may be left in it.
	if _, err := os.Stat(filepath.Join(h.containerRoot(), "w", "config.json")); err == nil {
		t.Errorf("refused workload left its config.json")
	}
}

// A sandbox whose deletion was refused (it still runs) takes workloads
// again.
func TestPodRefusedSandboxDeleteKeepsPodOpen(t *testing.T) {
	fh := newPodHost(t)
	h := fh.host
	ctx := context.Background()
	c := createReviewSandbox(t, h, "sb")
	// The pod has a workload: the sandbox's deletion is refused.
	ann := map[string]string{annotationContainerType: "container", annotationSandboxID: "sb"}
	if err := h.CreateContainer(ctx, "w1", "", podSettings(t, h, "w1", "sb", ann, nil)); err != nil {
		t.Fatalf("create w1: %v", err)
	}
	if err := c.deleteState(ctx); prot.HResultOf(err) != prot.HrVmcomputeInvalidState {
		t.Fatalf("delete of a sandbox with a workload = %v, want invalid state", err)
	}
	if err := h.CreateContainer(ctx, "w2", "", podSettings(t, h, "w2", "sb", ann, nil)); err != nil {
		t.Fatalf("create w2 after a refused sandbox delete: %v", err)
	}
	for _, id := range []string{"w1", "w2", "sb"} {
		w, err := h.createdContainer(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.deleteState(ctx); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
}

// A workload may join only a sandbox that is created: one still being
// created has no init yet (its network namespace is not known) and may
// fail, taking the pod's root with it.
func TestPodWorkloadCreateDuringSandboxCreate(t *testing.T) {
	fh, gate := newGatedPodHost(t, "create", "sb")
	h := fh.host
	ctx := context.Background()
	created := make(chan error, 1)
	go func() {
		sb := podSettings(t, h, "sb", "sb", map[string]string{annotationContainerType: "sandbox"}, nil)
		created <- h.CreateContainer(ctx, "sb", "", sb)
	}()
	waitFile(t, filepath.Join(gate, "create"))
	ann := map[string]string{annotationContainerType: "container", annotationSandboxID: "sb"}
	werr := h.CreateContainer(ctx, "w", "", podSettings(t, h, "w", "sb", ann, nil))
	if err := os.WriteFile(filepath.Join(gate, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := <-created; err != nil {
		t.Fatalf("create sandbox: %v", err)
	}
	t.Logf("workload create during its sandbox's create: %v", werr)
	ids := []string{"sb"}
	if werr == nil {
		ids = []string{"w", "sb"}
		t.Error("workload joined a sandbox still being created")
	}
	for _, id := range ids {
		c, err := h.createdContainer(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.deleteState(ctx); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
}
