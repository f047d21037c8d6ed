package network

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// moveBack moves the link described by mv from the container's namespace
// (h.inner) to the root one (h.root), where it is set down, its addresses
// flushed and its MTU restored. It keeps or restores its original name; if
// another link has taken that name in the root namespace meanwhile, it
// returns under a fallback name ("gcs<index>"), which is logged. inRoot
// tells whether the link reached the root namespace.
//
// The link at mv.index is taken only when it has mv's identity, checked
// again right before the move: a container may move the adapter away and
// put a link of its own there. Such a link is left alone and the error
// wraps ErrLinkNotVerified. If one still arrives (swapped in between the
// last check and the move), it is sent back to the container's namespace.
func moveBack(log *logrus.Entry, h *nsHandles, mv *movedLink) (inRoot bool, err error) {
	link, err := verifyInner(h, mv.id, mv.index)
	if err != nil {
		return false, fmt.Errorf("finding link %s in the container's network namespace: %w", mv.name, err)
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
	move := func() error {
		// No change of ours between this check and the move: the
		// container sees nothing to react to.
		l, err := verifyInner(h, mv.id, mv.index)
		if err != nil {
			return err
		}
		return h.inner.LinkSetNsFd(l, rootFd)
	}
	err = move()
	if errors.Is(err, unix.EEXIST) {
		alt := "gcs" + strconv.Itoa(mv.index)
		log.WithField("fallback", alt).Warn("the link's name is taken in the root namespace; returning it under another name")
		if rerr := h.inner.LinkSetName(link, alt); rerr != nil {
			return false, fmt.Errorf("renaming link %s to %s: %w", name, alt, rerr)
		}
		name = alt
		err = move()
	}
	if err != nil {
		return false, fmt.Errorf("moving link %s back to the root network namespace: %w", name, err)
	}

	rl, err := findReturned(log, h, mv, indexFree)
	if err != nil {
		return !errors.Is(err, ErrLinkNotVerified), err
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
// namespace (h.root), under its original name when it can have it. It is
// found by its identity, which nothing in the root namespace but the link
// itself has; its name proves nothing, as the container may have renamed
// it between the renaming and the move. When no link there has mv's
// identity, a link of the container's arrived instead: if mv's index was
// free in the root namespace before the move (indexFree), that link is the
// one there now (the kernel keeps a moved link's index when it can), and it
// is sent back to the container's namespace. The error then wraps
// ErrLinkNotVerified.
func findReturned(log *logrus.Entry, h *nsHandles, mv *movedLink, indexFree bool) (netlink.Link, error) {
	links, err := listLinks(h.root)
	if err != nil {
		return nil, fmt.Errorf("finding link %s (index %d) in the root network namespace: %w", mv.name, mv.index, err)
	}
	i := slices.IndexFunc(links, func(l netlink.Link) bool { return mv.id.matches(l, -1) })
	if i < 0 {
		err := fmt.Errorf("link moved back as %s is not the adapter (%s): %w", mv.name, mv.id, ErrLinkNotVerified)
		if !indexFree {
			log.WithError(err).Error("a link not the adapter's reached the root namespace at an index unknown")
			return nil, err
		}
		if x, lerr := h.root.LinkByIndex(mv.index); lerr == nil {
			if serr := h.root.LinkSetNsFd(x, int(h.innerFile.Fd())); serr != nil {
				log.WithError(serr).WithField("link", x.Attrs().Name).Error("sending a link not the adapter's back to the container's namespace")
				err = errors.Join(err, serr)
			}
		}
		return nil, err
	}
	rl := links[i]
	if cur := rl.Attrs().Name; cur != mv.name {
		if err := h.root.LinkSetName(rl, mv.name); err != nil {
			log.WithError(err).WithField("current", cur).Warn("restoring the link's name in the root namespace")
		} else {
			rl.Attrs().Name = mv.name
		}
	}
	return rl, nil
}
