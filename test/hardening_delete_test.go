package test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// deleteHeld creates a container whose init prints a line and exits, reads
// its stdout to EOF but keeps the connection open, and starts its
// DeleteContainerState: once the runtime deleted the container, the Delete
// waits for the host to close that connection (the relay's grace), which
// holds it in its clean-up. It returns once the container is gone for
// other requests, with the Delete's result and the connection whose close
// lets it finish. A Delete that finished before that skips the test: there
// is no window to look at.
func deleteHeld(t *testing.T, h *hostEnv, id string) (<-chan error, net.Conn) {
	t.Helper()
	if err := h.create(id, specFor("echo", "hi")); err != nil {
		t.Fatal(err)
	}
	s := h.listenStdio(false, true, false)
	if _, err := h.startInit(id, s); err != nil {
		t.Fatal(err)
	}
	out := h.conn(s.out)
	if _, err := io.ReadAll(out); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	done := make(chan error, 1)
	go func() { done <- h.c.DeleteContainerState(ctx, id) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		err := h.c.SignalProcess(ctx, id, 1, 0)
		if client.HResult(err) == prot.HrVmcomputeSystemNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s never went away for other requests: %v", id, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Skipf("the Delete of %s already finished (%v): no window", id, err)
	default:
	}
	return done, out
}

// deleteFinish closes out and returns the held Delete's result, failing
// the test if it hangs.
func deleteFinish(t *testing.T, done <-chan error, out net.Conn) error {
	t.Helper()
	out.Close()
	select {
	case err := <-done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("the held DeleteContainerState never returned")
		return nil
	}
}

// deleteCreateAt creates container id at bundle, with the busybox layer
// itself as its read-only root (no layers of its own, which the held
// Delete's clean-up would unmount); an accepted Create is shut down and
// deleted after the test.
func deleteCreateAt(t *testing.T, h *hostEnv, id, bundle string) error {
	t.Helper()
	spec := specFor("sleep", "1000")
	spec.Root = &oci.Root{Path: h.layer, Readonly: true}
	err := h.c.CreateContainer(testCtx(t), id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: bundle,
		OCISpecification: spec,
	})
	if err == nil {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			h.c.ShutdownForced(ctx, id)
			h.c.DeleteContainerState(ctx, id)
		})
	}
	return err
}

// TestHardeningDeleteHoldsIDAndBundleUntilCleanedUp creates a container,
// with the id or at the bundle of one whose DeleteContainerState is still
// cleaning up. Both must stay taken until the Delete removed the bundle
// and the cgroup: a Create accepted in that window loses its bundle to
// the old Delete. The same id is already-exists, as the reference answers
// while it deletes; another id at that bundle overlaps the old
// container's directory. Once the Delete returned, the Create succeeds.
func TestHardeningDeleteHoldsIDAndBundleUntilCleanedUp(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sameID  bool
		wantErr prot.HResult
	}{
		{"same id", true, prot.HrVmcomputeAlreadyExists},
		{"same bundle", false, prot.HrInvalidArg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachRuntime(t, func(t *testing.T, rt string) {
				h := newHostEnv(t, rt)
				id := h.id("old")
				done, out := deleteHeld(t, h, id)

				other := id
				if !tc.sameID {
					other = h.id("new")
				}
				err := deleteCreateAt(t, h, other, h.bundle(id))
				if err == nil {
					deleteFinish(t, done, out)
					_, statErr := os.Stat(filepath.Join(h.bundle(id), "config.json"))
					t.Fatalf("Create of %s at %s while the Delete of %s cleans up was accepted (its config.json afterwards: %v)", other, h.bundle(id), id, statErr)
				}
				if hr := client.HResult(err); hr != tc.wantErr {
					t.Errorf("Create of %s while the Delete of %s cleans up: HRESULT %#x (%v), want %#x", other, id, uint32(hr), err, uint32(tc.wantErr))
				}
				if err := deleteFinish(t, done, out); err != nil {
					t.Errorf("Delete of %s: %v", id, err)
				}

				if err := deleteCreateAt(t, h, other, h.bundle(id)); err != nil {
					t.Fatalf("Create of %s after the Delete of %s: %v", other, id, err)
				}
				if _, err := h.startInit(other, h.listenStdio(false, false, false)); err != nil {
					t.Errorf("start the new container %s: %v", other, err)
				}
			})
		})
	}
}

// TestHardeningDeleteConcurrentJoins sends a second DeleteContainerState
// for a container whose first Delete is still cleaning up. The second must
// not run the clean-up again nor report the container gone before it is:
// it returns the first's result, after it, with the bundle removed.
func TestHardeningDeleteConcurrentJoins(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("twice")
		first, out := deleteHeld(t, h, id)

		second := make(chan error, 1)
		go func() { second <- h.c.DeleteContainerState(testCtx(t), id) }()
		select {
		case err := <-second:
			_, statErr := os.Stat(h.bundle(id))
			t.Fatalf("second Delete of %s returned while the first still cleans up: %v (bundle: %v)", id, err, statErr)
		case <-time.After(200 * time.Millisecond):
			// Still waiting, as it should: only a quick wrong answer is
			// caught here, a slow machine just lets the test go on.
		}
		if err := deleteFinish(t, first, out); err != nil {
			t.Errorf("first Delete of %s: %v", id, err)
		}
		select {
		case err := <-second:
			if err != nil {
				t.Errorf("second Delete of %s: %v", id, err)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("second Delete of %s never returned", id)
		}
		if _, err := os.Stat(h.bundle(id)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("bundle of %s after both Deletes: %v", id, err)
		}
		if err := h.c.DeleteContainerState(testCtx(t), id); client.HResult(err) != prot.HrVmcomputeSystemNotFound {
			t.Errorf("a third Delete of %s: %v, want system-not-found", id, err)
		}
	})
}
