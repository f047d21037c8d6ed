package network

import (
	"bytes"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

// linkIdentity is what an adapter's link is, in terms that a container
// with CAP_NET_ADMIN in its own network namespace cannot give a link of
// its own. Index, name, MAC address and alias can all be chosen (a link
// can be created at a free index of the caller's choosing), so they
// identify nothing once the link is in a container's namespace. What the
// kernel sets and no one can change is: the link's kind, its permanent
// address (set only for a device whose driver reads one from hardware,
// never for a link made through netlink), its parent device (a VMBus or
// PCI device), and for a veth the peer it is paired with, which the
// container can only make in a namespace it can name, and the root
// namespace it cannot.
type linkIdentity struct {
	kind      string           // netlink's Type(): "device" for a physical device
	perm      net.HardwareAddr // permanent address; nil when none
	parentDev string           // parent device and its bus; empty when none
	parentBus string
	vethPeer  int // for a veth whose peer is in the root namespace, the peer's index there; else 0
}

// identityOf reads the identity of l, a link seen in the root namespace.
func identityOf(l netlink.Link) linkIdentity {
	at := l.Attrs()
	id := linkIdentity{kind: l.Type(), perm: bytes.Clone(at.PermHWAddr), parentDev: at.ParentDev, parentBus: at.ParentDevBus}
	if _, ok := l.(*netlink.Veth); ok && at.NetNsID < 0 && at.ParentIndex > 0 {
		id.vethPeer = at.ParentIndex
	}
	return id
}

// anchored reports whether id holds something a container cannot forge.
// A link without (a dummy, a veth whose peer is elsewhere) could be
// replaced by a look-alike in the container's namespace without the
// Manager being able to tell.
func (id linkIdentity) anchored() bool {
	return len(id.perm) > 0 || id.parentDev != "" || id.vethPeer > 0
}

// String describes id for errors and logs.
func (id linkIdentity) String() string {
	return fmt.Sprintf("kind %s, permanent address %q, parent %q on %q, veth peer %d in the root namespace", id.kind, id.perm.String(), id.parentDev, id.parentBus, id.vethPeer)
}

// matches reports whether l is the link id describes. rootNSID is the id
// that the namespace l is seen from gives the root namespace: -1 when l is
// seen from the root namespace itself (a veth's peer is then in the same
// namespace and has no id), else what GetNetNsIdByFd returns there.
func (id linkIdentity) matches(l netlink.Link, rootNSID int) bool {
	if l == nil || l.Attrs() == nil || !id.anchored() {
		return false
	}
	at := l.Attrs()
	if l.Type() != id.kind || !bytes.Equal(at.PermHWAddr, id.perm) || at.ParentDev != id.parentDev || at.ParentDevBus != id.parentBus {
		return false
	}
	if id.vethPeer == 0 {
		return true
	}
	return at.ParentIndex == id.vethPeer && at.NetNsID == rootNSID
}
