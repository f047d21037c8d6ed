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
// Netlink work is done with github.com/vishvananda/netlink handles bound to
// a namespace (netlink.NewHandleAt), so no goroutine of the caller ever runs
// in a container's namespace.
package network
