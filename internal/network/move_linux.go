package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// place finds ad's link in the root namespace, moves it into ns (which
// must be attached) and configures it there. The link keeps its name. On
// failure after the move the link is taken back, so that it is either
// configured in ns (ad.moved set) or in the root namespace as it was. Once
// moved, the link is known by its index alone: the container may rename it
// (or change its MAC address) at any time.
func (m *Manager) place(ctx context.Context, ns *namespace, ad *adapter) error {
	log := m.log.WithContext(ctx).WithFields(logrus.Fields{"namespace": ns.id, "adapter": ad.spec.ID, "pid": ns.pid})
	found, err := m.lookup.Find(ctx, &ad.spec)
	if err != nil {
		return fmt.Errorf("finding the adapter's link: %w", err)
	}
	if found == nil || found.Attrs() == nil {
		return fmt.Errorf("finding the adapter's link: lookup returned none: %w", ErrAdapterNotFound)
	}
	h, err := openHandles(ns.file)
	if err != nil {
		return err
	}
	defer h.close()

	link, err := h.root.LinkByIndex(found.Attrs().Index)
	if err != nil {
		return fmt.Errorf("reading link %s (index %d) in the root namespace: %w: %w", found.Attrs().Name, found.Attrs().Index, ErrAdapterNotFound, err)
	}
	attrs := link.Attrs()
	moved := &movedLink{name: attrs.Name, mtu: attrs.MTU, id: identityOf(link)}
	if !moved.id.anchored() {
		// Once in the container's namespace such a link could be swapped
		// for one the container made, and nothing would tell them apart
		// when the link is to come back.
		return fmt.Errorf("link %s (%s) has nothing a container cannot forge to be known by once moved: %w", attrs.Name, moved.id, ErrLinkNotVerified)
	}
	mtu := 0
	if o := int(ad.spec.EncapOverhead); o > 0 {
		if o >= attrs.MTU {
			return fmt.Errorf("encapsulation overhead %d of link %s with MTU %d: %w", o, attrs.Name, attrs.MTU, ErrInvalidConfig)
		}
		mtu = attrs.MTU - o
	}
	log = log.WithField("link", attrs.Name)
	if err := h.root.LinkSetNsFd(link, int(ns.file.Fd())); err != nil {
		return fmt.Errorf("moving link %s into the container's network namespace: %w", attrs.Name, err)
	}
	inner, err := findMoved(h, moved.id, attrs.Index)
	if err != nil {
		// Not even its index: nothing can be taken back.
		log.WithError(err).Error("network adapter moved into the container's namespace and lost there")
		return fmt.Errorf("finding link %s after moving it into the container's network namespace: %w", attrs.Name, err)
	}
	moved.index = inner.Attrs().Index
	if err := configure(log, h.inner, inner, ad, mtu); err != nil {
		err = fmt.Errorf("configuring link %s: %w", attrs.Name, err)
		if inRoot, rerr := moveBack(log, h, moved); rerr != nil {
			log.WithError(rerr).WithField("inRoot", inRoot).Error("taking link back after failed configuration")
			return errors.Join(err, fmt.Errorf("taking link %s back: %w", attrs.Name, rerr))
		}
		return err
	}
	ad.moved = moved
	log.WithFields(logrus.Fields{"mtu": mtu, "addresses": len(ad.cfg.addrs), "routes": len(ad.cfg.routes)}).Info("network adapter moved and configured")
	return nil
}

// findMoved returns the link with identity id just moved into the
// namespace of h.inner, where it was at index in the root namespace. The
// kernel keeps a moved link's index when it is free there, so the link at
// that index is taken when it is the one; otherwise the link that is. Its
// name and MAC address prove nothing: a container with CAP_NET_ADMIN may
// change both the moment the link arrives.
func findMoved(h *nsHandles, id linkIdentity, index int) (netlink.Link, error) {
	if l, err := verifyInner(h, id, index); err == nil {
		return l, nil
	}
	links, err := listLinks(h.inner)
	if err != nil {
		return nil, err
	}
	rootID, err := rootNSIDIn(h.inner, int(h.rootFile.Fd()))
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(links, func(l netlink.Link) bool { return id.matches(l, rootID) }); i >= 0 {
		return links[i], nil
	}
	return nil, fmt.Errorf("no link with index %d or identity %s: %w", index, id, ErrAdapterNotFound)
}

// unplace takes ad's link out of ns back into the root namespace and
// resets it there. ad.moved is cleared once the link is in the root
// namespace, even if resetting it then fails.
func (m *Manager) unplace(ctx context.Context, ns *namespace, ad *adapter) error {
	log := m.log.WithContext(ctx).WithFields(logrus.Fields{"namespace": ns.id, "adapter": ad.spec.ID, "link": ad.moved.name})
	h, err := openHandles(ns.file)
	if err != nil {
		return err
	}
	defer h.close()
	inRoot, err := moveBack(log, h, ad.moved)
	if inRoot {
		ad.moved = nil
	}
	if err != nil {
		return err
	}
	log.Info("network adapter returned to the root namespace")
	return nil
}

// configure sets up link inside the container's namespace (h): loopback
// up, the MTU (when mtu > 0), the addresses, the link up, then the routes.
// IPv6 addresses are added with IFA_F_NODAD: the host assigned them, and a
// tentative address would make routes through an IPv6 gateway fail until
// duplicate address detection ends. A route or address that already exists
// (EEXIST, say a default route another adapter installed first) is logged
// and skipped.
func configure(log *logrus.Entry, h *netlink.Handle, link netlink.Link, ad *adapter, mtu int) error {
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("finding the loopback link: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("setting the loopback link up: %w", err)
	}
	if mtu > 0 {
		if err := h.LinkSetMTU(link, mtu); err != nil {
			return fmt.Errorf("setting MTU %d: %w", mtu, err)
		}
	}
	for _, p := range ad.cfg.addrs {
		addr := &netlink.Addr{IPNet: prefixNet(p)}
		if p.Addr().Is6() {
			addr.Flags = unix.IFA_F_NODAD
		}
		if err := h.AddrAdd(link, addr); errors.Is(err, unix.EEXIST) {
			log.WithField("address", p).Warn("address already present")
		} else if err != nil {
			return fmt.Errorf("adding address %s: %w", p, err)
		}
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("setting the link up: %w", err)
	}
	for _, r := range ad.cfg.routes {
		nr := netlinkRoute(link.Attrs().Index, r)
		if err := h.RouteAdd(nr); errors.Is(err, unix.EEXIST) {
			log.WithFields(logrus.Fields{"route": r.dst, "via": r.gw, "kind": r.kind}).Warn("route already present; skipped")
		} else if err != nil {
			return fmt.Errorf("adding %s route to %s via %v metric %d: %w", r.kind, r.dst, r.gw, r.priority, err)
		}
	}
	return nil
}

// netlinkRoute converts a host route on link index to its netlink form. An
// on-link route has link scope; a default route has an explicit
// zero-length destination so that its family is set even without Gw.
func netlinkRoute(index int, r route) *netlink.Route {
	nr := &netlink.Route{
		LinkIndex: index,
		Dst:       prefixNet(r.dst),
		Priority:  r.priority,
		Protocol:  unix.RTPROT_STATIC,
		Scope:     netlink.SCOPE_UNIVERSE,
	}
	if r.gw.IsValid() {
		nr.Gw = r.gw.AsSlice()
	} else {
		nr.Scope = netlink.SCOPE_LINK
	}
	return nr
}

// prefixNet converts a prefix to a net.IPNet whose address has its own
// length (4 bytes for IPv4), keeping any host bits.
func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
