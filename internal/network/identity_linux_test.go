package network

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/vishvananda/netlink"
)

// squatMovedLink plays a hostile container with CAP_NET_ADMIN in its own
// network namespace (c's) and in one it made (away's): it moves the link
// the GCS moved in (found by v's MAC) out to away, then creates a veth
// pair of its own whose first end takes the moved link's index, name and
// MAC, the other end ("peer") staying in c. It returns the index and the
// squatter's peer name.
func squatMovedLink(t *testing.T, c, away testContainer, v testVeth) (index int, peer string) {
	t.Helper()
	links, err := listLinks(c.h)
	if err != nil {
		t.Fatal(err)
	}
	moved := pickByMAC(links, v.mac)
	if moved == nil {
		t.Fatalf("adapter %s not in the container's namespace", v.mac)
	}
	index = moved.Attrs().Index
	if err := c.h.LinkSetNsPid(moved, away.pid); err != nil {
		t.Fatalf("moving the adapter out to another namespace: %v", err)
	}
	peer = "sq" + randomHex(t, 5)
	la := netlink.NewLinkAttrs()
	la.Name, la.Index, la.HardwareAddr = moved.Attrs().Name, index, v.mac
	if err := c.h.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: peer}); err != nil {
		t.Fatalf("creating a squatter at index %d: %v", index, err)
	}
	if l, err := c.h.LinkByIndex(index); err != nil || l.Attrs().Name != la.Name {
		t.Fatalf("squatter did not take index %d: %v %v", index, l, err)
	}
	return index, peer
}

// TestSquatterAtMovedIndexNeverReachesRoot: a container can move the
// adapter the GCS gave it out to a namespace of its own and put a link it
// made (a veth whose other end it keeps) at the adapter's index, with the
// adapter's name and MAC. Remove and Detach must not take that link into
// the utility VM's root namespace, where a later Add of the same adapter
// (found by MAC) would move it into another container, giving the hostile
// one a wire into its neighbour. They must fail clearly instead, leaving
// the squatter where it is.
func TestSquatterAtMovedIndexNeverReachesRoot(t *testing.T) {
	requireNetAdmin(t)
	ctx := context.Background()
	v := newVeth(t)
	c, away, victim := newContainer(t), newContainer(t), newContainer(t)
	nsID, victimID := newNSID(t), newNSID(t)
	m := newTestManager(t, Options{}, victimID)
	if err := m.Attach(ctx, nsID, c.pid); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	a := testAdapter(t, v, nsID)
	if err := m.AddAdapter(ctx, a); err != nil {
		t.Fatalf("AddAdapter: %v", err)
	}
	index, peer := squatMovedLink(t, c, away, v)

	checkSquatterStays := func(op string) {
		t.Helper()
		if l := linkIn(t, rootHandle(t), v.name); l != nil {
			t.Errorf("after %s a link %s (index %d, %s) is in the root namespace", op, v.name, l.Attrs().Index, l.Type())
		}
		p := linkIn(t, c.h, peer)
		if p == nil {
			t.Fatalf("after %s the squatter's peer %s is gone from the container", op, peer)
		}
		if p.Attrs().NetNsID != -1 || p.Attrs().ParentIndex != index {
			t.Errorf("after %s the squatter left the container's namespace (its peer sees it at index %d, netns id %d)", op, p.Attrs().ParentIndex, p.Attrs().NetNsID)
		}
	}
	err := m.RemoveAdapter(ctx, nsID, a.ID)
	if err == nil || !errors.Is(err, ErrLinkNotVerified) {
		t.Errorf("RemoveAdapter with a squatter at the adapter's index: %v; want an error wrapping ErrLinkNotVerified", err)
	}
	checkSquatterStays("RemoveAdapter")
	if err := m.Detach(ctx, nsID); err == nil || !errors.Is(err, ErrLinkNotVerified) {
		t.Errorf("Detach with a squatter at the adapter's index: %v; want an error wrapping ErrLinkNotVerified", err)
	}
	checkSquatterStays("Detach")

	// The host gives the adapter to another container: it is not in the
	// root namespace, so the Add must be refused, not hand over the
	// squatter.
	if err := m.Attach(ctx, victimID, victim.pid); err != nil {
		t.Fatalf("Attach victim: %v", err)
	}
	b := testAdapter(t, v, victimID)
	if err := m.AddAdapter(ctx, b); !errors.Is(err, ErrAdapterNotFound) {
		t.Errorf("AddAdapter to another container after the squat: %v; want an error wrapping ErrAdapterNotFound", err)
	}
	if l := linkIn(t, victim.h, v.name); l != nil {
		t.Errorf("the other container received link %s (%s, index %d)", v.name, l.Type(), l.Attrs().Index)
	}
}

// TestUnverifiableLinkIsNotMoved: a link with nothing a container cannot
// forge (here a veth whose peer is not in the root namespace: no permanent
// address, no parent device, no peer the Manager can see) could be swapped
// for a look-alike once moved, and nothing would tell them apart when it
// is to come back. Such a link is refused before it is moved, and stays in
// the root namespace as it was.
func TestUnverifiableLinkIsNotMoved(t *testing.T) {
	requireNetAdmin(t)
	ctx := context.Background()
	root := rootHandle(t)
	c, elsewhere := newContainer(t), newContainer(t)
	suffix := randomHex(t, 5)
	v := testVeth{name: "gt" + suffix, mac: net.HardwareAddr{0x02, 0xde, 0xad, 0, 0, 1}}
	copy(v.mac[3:], []byte(suffix[:3]))
	la := netlink.NewLinkAttrs()
	la.Name, la.HardwareAddr = v.name, v.mac
	if err := root.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "gp" + suffix, PeerNamespace: netlink.NsPid(elsewhere.pid)}); err != nil {
		t.Fatalf("creating veth %s with its peer elsewhere: %v", v.name, err)
	}
	t.Cleanup(func() {
		if l := linkIn(t, root, v.name); l != nil {
			_ = root.LinkDel(l)
		}
	})
	nsID := newNSID(t)
	m := newTestManager(t, Options{}, nsID)
	if err := m.Attach(ctx, nsID, c.pid); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	if err := m.AddAdapter(ctx, testAdapter(t, v, nsID)); !errors.Is(err, ErrLinkNotVerified) {
		t.Errorf("AddAdapter of a link without identity: %v; want an error wrapping ErrLinkNotVerified", err)
	}
	if linkIn(t, root, v.name) == nil {
		t.Errorf("link %s left the root namespace", v.name)
	}
	if linkIn(t, c.h, v.name) != nil {
		t.Errorf("link %s is in the container's namespace", v.name)
	}
}
