package hcsv2

import (
	"context"
	"errors"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
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
