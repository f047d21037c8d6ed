package network

import (
	"fmt"

	"github.com/vishvananda/netlink"
)

// rootNSIDIn returns the id that the namespace of h gives the root
// namespace (rootFd), or -1 when it gives none (a veth whose peer is in the
// root namespace makes the kernel assign one).
func rootNSIDIn(h *netlink.Handle, rootFd int) (int, error) {
	id, err := h.GetNetNsIdByFd(rootFd)
	if err != nil {
		return -1, fmt.Errorf("reading the id of the root network namespace in the container's: %w", err)
	}
	return id, nil
}

// verifyInner returns the link at index in the container's namespace
// (h.inner) when it is the link id describes, or an error wrapping
// ErrLinkNotVerified when it is another (the container moved the adapter
// away and put a link of its own at its index).
func verifyInner(h *nsHandles, id linkIdentity, index int) (netlink.Link, error) {
	l, err := h.inner.LinkByIndex(index)
	if err != nil {
		return nil, fmt.Errorf("finding link index %d in the container's network namespace: %w", index, err)
	}
	// Read after the link: dumping a veth whose peer is in the root
	// namespace makes the kernel assign the root namespace an id.
	rootID, err := rootNSIDIn(h.inner, int(h.rootFile.Fd()))
	if err != nil {
		return nil, err
	}
	if !id.matches(l, rootID) {
		return nil, fmt.Errorf("link %s at index %d (%s) is not the adapter (%s): %w", l.Attrs().Name, index, identityOf(l), id, ErrLinkNotVerified)
	}
	return l, nil
}
