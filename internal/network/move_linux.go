package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"

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
	moved := &movedLink{name: attrs.Name, mtu: attrs.MTU}
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
	inner, err := findMoved(h.inner, attrs)
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

// findMoved returns the link that was orig in the root namespace, just
// moved into the namespace of h. The kernel keeps a moved link's index when
// it is free there, so the link at orig's index is taken when its MAC
// address or permanent address still matches; otherwise (the index was
// taken, or the link's address already changed) the link with orig's
// permanent address, else with its MAC address. Its name proves nothing: a
// container with CAP_NET_ADMIN may rename any link the moment it arrives.
func findMoved(h *netlink.Handle, orig *netlink.LinkAttrs) (netlink.Link, error) {
	same := func(at *netlink.LinkAttrs, perm bool) bool {
		if perm {
			return len(orig.PermHWAddr) > 0 && bytes.Equal(at.PermHWAddr, orig.PermHWAddr)
		}
		return bytes.Equal(at.HardwareAddr, orig.HardwareAddr)
	}
	if l, err := h.LinkByIndex(orig.Index); err == nil && (same(l.Attrs(), true) || same(l.Attrs(), false)) {
		return l, nil
	}
	links, err := listLinks(h)
	if err != nil {
		return nil, err
	}
	for _, perm := range []bool{true, false} {
		if i := slices.IndexFunc(links, func(l netlink.Link) bool { return same(l.Attrs(), perm) }); i >= 0 {
			return links[i], nil
		}
	}
	return nil, fmt.Errorf("no link with index %d, MAC address %s or permanent address %s: %w", orig.Index, orig.HardwareAddr, orig.PermHWAddr, ErrAdapterNotFound)
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

// moveBack moves the link described by mv from the container's namespace
// (h.inner) to the root one (h.root), where it is set down, its addresses
// flushed and its MTU restored. It keeps or restores its original name; if
// another link has taken that name in the root namespace meanwhile, it
// returns under a fallback name ("gcs<index>"), which is logged. inRoot
// tells whether the link reached the root namespace.
func moveBack(log *logrus.Entry, h *nsHandles, mv *movedLink) (inRoot bool, err error) {
	link, err := h.inner.LinkByIndex(mv.index)
	if err != nil {
		return false, fmt.Errorf("finding link %s (index %d) in the container's network namespace: %w", mv.name, mv.index, err)
	}
	if err := h.inner.LinkSetDown(link); err != nil {
		return false, fmt.Errorf("setting link %s down: %w", mv.name, err)
	}
	name := mv.name
	if link.Attrs().Name != name {
		if err := h.inner.LinkSetName(link, name); err != nil {
			log.WithError(err).WithField("current", link.Attrs().Name).Warn("restoring the link's name")
			name = link.Attrs().Name
		}
	}
	_, err = h.root.LinkByIndex(mv.index)
	indexFree := errors.As(err, new(netlink.LinkNotFoundError))
	rootFd := int(h.rootFile.Fd())
	err = h.inner.LinkSetNsFd(link, rootFd)
	if errors.Is(err, unix.EEXIST) {
		alt := "gcs" + strconv.Itoa(mv.index)
		log.WithField("fallback", alt).Warn("the link's name is taken in the root namespace; returning it under another name")
		if rerr := h.inner.LinkSetName(link, alt); rerr != nil {
			return false, fmt.Errorf("renaming link %s to %s: %w", name, alt, rerr)
		}
		name = alt
		err = h.inner.LinkSetNsFd(link, rootFd)
	}
	if err != nil {
		return false, fmt.Errorf("moving link %s back to the root network namespace: %w", name, err)
	}

	rl, err := findReturned(log, h.root, mv, name, indexFree)
	if err != nil {
		return true, err
	}
	name = rl.Attrs().Name
	var errs []error
	if err := h.root.LinkSetDown(rl); err != nil {
		errs = append(errs, fmt.Errorf("setting link %s down: %w", name, err))
	}
	addrs, err := listAddrs(h.root, rl)
	if err != nil {
		errs = append(errs, err)
	}
	for _, a := range addrs {
		if err := h.root.AddrDel(rl, &a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			errs = append(errs, fmt.Errorf("removing address %s from link %s: %w", a.IPNet, name, err))
		}
	}
	if rl.Attrs().MTU != mv.mtu {
		if err := h.root.LinkSetMTU(rl, mv.mtu); err != nil {
			errs = append(errs, fmt.Errorf("restoring MTU %d of link %s: %w", mv.mtu, name, err))
		}
	}
	return true, errors.Join(errs...)
}

// findReturned returns the link mv, just moved back into the root
// namespace (h) as name, under its original name when it can have it. The
// container may have renamed the link between the renaming and the move;
// then, if mv's index was free in the root namespace before the move
// (indexFree), the link there now is mv, as the kernel keeps a moved
// link's index when it can.
func findReturned(log *logrus.Entry, h *netlink.Handle, mv *movedLink, name string, indexFree bool) (netlink.Link, error) {
	rl, err := h.LinkByName(name)
	if err != nil && indexFree {
		rl, err = h.LinkByIndex(mv.index)
	}
	if err != nil {
		return nil, fmt.Errorf("finding link %s (index %d) in the root network namespace: %w", name, mv.index, err)
	}
	if cur := rl.Attrs().Name; cur != mv.name {
		if err := h.LinkSetName(rl, mv.name); err != nil {
			log.WithError(err).WithField("current", cur).Warn("restoring the link's name in the root namespace")
		} else {
			rl.Attrs().Name = mv.name
		}
	}
	return rl, nil
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
