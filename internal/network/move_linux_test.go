package network

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// renameArrivals stands for a hostile container with CAP_NET_ADMIN in its
// own network namespace (c's): until the test ends it renames every link
// named "gt..." that shows up there to "x...".
func renameArrivals(t *testing.T, c testContainer) {
	t.Helper()
	cns, err := netns.GetFromPid(c.pid)
	if err != nil {
		t.Fatalf("opening the network namespace of pid %d: %v", c.pid, err)
	}
	t.Cleanup(func() { cns.Close() })
	h, err := netlink.NewHandleAt(cns) // its own: a Handle is not for concurrent use
	if err != nil {
		t.Fatalf("netlink handle in pid %d's namespace: %v", c.pid, err)
	}
	updates, done := make(chan netlink.LinkUpdate, 64), make(chan struct{})
	if err := netlink.LinkSubscribeAt(cns, updates, done); err != nil {
		h.Close()
		t.Fatalf("subscribing to link updates in pid %d's namespace: %v", c.pid, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for u := range updates {
			if n := u.Attrs().Name; strings.HasPrefix(n, "gt") {
				_ = h.LinkSetName(u.Link, "x"+n[2:])
			}
		}
	}()
	t.Cleanup(func() {
		close(done)
		wg.Wait()
		h.Close()
	})
}

// TestContainerRenamingLinksCannotStrandAdapter: a container renaming
// every link the moment it arrives must not make an Add fail, nor leave a
// link behind in its namespace. Before, place looked the moved link up by
// its old name: the Add failed with the link still in the container, not
// registered, so no Remove could ever take it back. And a Remove must
// bring the link back to the root namespace under its own name, even when
// the container renamed it again just before it left.
func TestContainerRenamingLinksCannotStrandAdapter(t *testing.T) {
	requireNetAdmin(t)
	ctx := context.Background()
	c := newContainer(t)
	nsID := newNSID(t)
	m := newTestManager(t, Options{}, nsID)
	if err := m.Attach(ctx, nsID, c.pid); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	renameArrivals(t, c)
	root := rootHandle(t)
	for i := range 50 {
		v := newVeth(t)
		a := testAdapter(t, v, nsID)
		a.Routes = nil
		if err := m.AddAdapter(ctx, a); err != nil {
			links, lerr := listLinks(c.h)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if l := pickByMAC(links, v.mac); l != nil {
				t.Fatalf("try %d: failed AddAdapter (%v) left link %s (MAC %s) in the container's namespace", i, err, l.Attrs().Name, v.mac)
			}
			t.Fatalf("try %d: AddAdapter: %v", i, err)
		}
		if err := m.RemoveAdapter(ctx, nsID, a.ID); err != nil {
			t.Fatalf("try %d: RemoveAdapter: %v", i, err)
		}
		links, err := listLinks(c.h)
		if err != nil {
			t.Fatal(err)
		}
		if l := pickByMAC(links, v.mac); l != nil {
			t.Fatalf("try %d: link %s still in the container's namespace after Remove", i, l.Attrs().Name)
		}
		if l := linkIn(t, root, v.name); l == nil {
			t.Fatalf("try %d: link %s not back in the root namespace under its name", i, v.name)
		}
	}
}
