package hcsv2

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/runtime"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestDeletionLifecycle follows a container's deletion claims without a
// runtime: a second one joins the first and gets its result; a refused
// deletion leaves the container in the table, deletable again; one that
// went through keeps the id taken until it ends.
func TestDeletionLifecycle(t *testing.T) {
	h := NewHost(Options{})
	c := newContainer(h, "c1", "")
	c.created = true
	if err := h.reserve(c); err != nil {
		t.Fatal(err)
	}

	d, joined := c.beginDeletion()
	if joined {
		t.Fatal("the first deletion joined one")
	}
	d2, joined := c.beginDeletion()
	if !joined || d2 != d {
		t.Fatalf("the second deletion = %p joined %v, want to join %p", d2, joined, d)
	}
	refused := prot.Errorf(prot.HrVmcomputeInvalidState, "still running")
	joinedErr := make(chan error, 1)
	go func() {
		_, err := d2.wait(context.Background(), c.id)
		joinedErr <- err
	}()
	c.endDeletion(d, false, refused)
	if err := <-joinedErr; !errors.Is(err, refused) {
		t.Errorf("the joined deletion got %v, want the first's %v", err, refused)
	}
	if _, err := h.container(c.id); err != nil {
		t.Errorf("container after a refused deletion: %v", err)
	}

	d, joined = c.beginDeletion()
	if joined {
		t.Fatal("a deletion after a refused one joined it")
	}
	c.markDeleted()
	if _, err := h.container(c.id); prot.HResultOf(err) != prot.HrVmcomputeSystemNotFound {
		t.Errorf("lookup while the deletion cleans up: %v, want system-not-found", err)
	}
	if err := h.reserve(newContainer(h, c.id, "")); prot.HResultOf(err) != prot.HrVmcomputeAlreadyExists {
		t.Errorf("Create of the id while the deletion cleans up: %v, want already-exists", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if gone, err := d.wait(ctx, c.id); gone || !errors.Is(err, context.Canceled) {
		t.Errorf("wait with an ended context = %v, %v", gone, err)
	}
	c.endDeletion(d, true, nil)
	if gone, err := d.wait(context.Background(), c.id); !gone || err != nil {
		t.Errorf("wait after the deletion = %v, %v; want gone", gone, err)
	}
	if err := h.reserve(newContainer(h, c.id, "")); err != nil {
		t.Errorf("Create of the id after the deletion: %v", err)
	}
}

// TestTeardownBoundedWhenDeleteFails: when the runtime cannot delete a
// container, its init may live on (stuck in the kernel); the teardown of
// the daemon's exit or of a VM shutdown gives up at its context's end
// instead of waiting for that init for ever.
func TestTeardownBoundedWhenDeleteFails(t *testing.T) {
	r, err := reaper.New(testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A runtime whose every invocation fails: the delete is refused.
	h := NewHost(Options{Runtime: &runtime.Runtime{Command: "/bin/false", Reaper: r}})
	c := newContainer(h, "stuck", "")
	c.created = true
	c.init = &process{done: make(chan struct{})} // never ends
	if err := h.reserve(c); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Close(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close = %v, want the context's deadline among its errors", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close still waiting for an init that never ends, 30 s after its context ended")
	}
}
