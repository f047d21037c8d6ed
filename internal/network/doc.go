// Package network places the host's network adapters into containers'
// network namespaces, as ModifySettings "Network" requests ask
// (prot.LCOWNetworkAdapter), and derives the containers' resolv.conf from
// them.
//
// The host names a namespace by a GUID (its NamespaceID) long before the
// guest knows which container will own it; a Manager therefore keeps, per
// namespace id, the adapters registered for it, and moves them into the
// container's network namespace once the container's init process is
// attached to the id (Attach), or at once when an adapter arrives for an
// already attached namespace (AddAdapter). Adapters go back to the utility
// VM's root namespace when they are removed (RemoveAdapter) or when the
// container goes away (Detach).
//
// Configuring an adapter, inside the container's namespace: loopback up;
// the link keeps the name it had in the root namespace (so a name already
// used in the container's namespace makes the move fail, leaving the link
// where it was); MTU = current MTU - EncapOverhead when that is not zero;
// the IPConfigs addresses, IPv6 ones with IFA_F_NODAD (the host assigned
// them; a tentative address would make routes through an IPv6 gateway fail
// until duplicate address detection ended); link up; then the Routes,
// on-link ones first, then those via a gateway, then default routes. A
// route whose NextHop is empty or unspecified ("0.0.0.0", "::") is on-link;
// Metric is the route's priority, and EnableLowMetric gives every route of
// the adapter priority 1 (the most preferred value both families keep).
// PolicyBasedRouting is not supported: it is logged and the routes go to the
// main table. An address or route that already exists is logged and
// skipped, so that the first of two adapters with a default route of the
// same metric keeps it.
//
// A moved link is known by its index in the container's namespace, which
// a container with CAP_NET_ADMIN can hand to a link of its own after moving
// the adapter away, with the adapter's name and MAC. So a link is moved
// only when it has an identity the container cannot forge (a permanent
// address, a parent device, or for a veth its peer in the root namespace),
// and is taken back only when the link at its index still has it, checked
// again right before the move and once more in the root namespace. A link
// that does not is left to the container and the operation fails with an
// error wrapping ErrLinkNotVerified.
//
// Netlink work is done with github.com/vishvananda/netlink handles bound to
// a namespace (netlink.NewHandleAt), so no goroutine of the caller ever runs
// in a container's namespace.
package network
