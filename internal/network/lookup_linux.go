package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// lookupPoll is how often the default lookup looks again for an adapter
// that has not appeared yet.
const lookupPoll = 50 * time.Millisecond

// defaultLookup finds adapters by MAC address, else by VMBus instance id,
// waiting up to timeout for them to appear.
type defaultLookup struct {
	sysRoot string
	timeout time.Duration
	log     *logrus.Entry
}

// Find implements AdapterLookup.
func (l defaultLookup) Find(ctx context.Context, a *prot.LCOWNetworkAdapter) (netlink.Link, error) {
	var mac net.HardwareAddr
	if a.MacAddress != "" {
		var err error
		if mac, err = parseMAC(a.MacAddress); err != nil {
			return nil, fmt.Errorf("finding adapter %s: %w", a.ID, err)
		}
	}
	vmbus := filepath.Join(l.sysRoot, "bus", "vmbus", "devices")
	if _, err := os.Stat(vmbus); err != nil {
		vmbus = ""
	}
	if mac == nil && vmbus == "" {
		return nil, fmt.Errorf("adapter %s has no MAC address and there is no VMBus to search: %w", a.ID, ErrAdapterNotFound)
	}
	h, err := openHandles(nil)
	if err != nil {
		return nil, fmt.Errorf("finding adapter %s: %w", a.ID, err)
	}
	defer h.close()

	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	tick := time.NewTicker(lookupPoll)
	defer tick.Stop()
	for {
		link, err := l.findOnce(h.root, a, mac, vmbus)
		if link != nil || err != nil {
			return link, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no link with MAC address %q or VMBus id %q appeared within %v: %w", a.MacAddress, a.ID, l.timeout, ErrAdapterNotFound)
		case <-tick.C:
		}
	}
}

// findOnce looks for the adapter once: by mac when not nil, then under
// vmbus when not empty. It returns nil, nil when the adapter is not there
// (yet).
func (l defaultLookup) findOnce(h *netlink.Handle, a *prot.LCOWNetworkAdapter, mac net.HardwareAddr, vmbus string) (netlink.Link, error) {
	if mac != nil {
		links, err := listLinks(h)
		if err != nil {
			return nil, fmt.Errorf("finding adapter %s: %w", a.ID, err)
		}
		if link := pickByMAC(links, mac); link != nil {
			return link, nil
		}
	}
	if vmbus == "" {
		return nil, nil
	}
	name, err := vmbusNetName(vmbus, a.ID, a.VPCIAssigned)
	if err != nil || name == "" {
		return nil, err
	}
	link, err := h.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return nil, nil // renamed or moved meanwhile; look again
	}
	if err != nil {
		return nil, fmt.Errorf("finding adapter %s: link %s: %w", a.ID, name, err)
	}
	return link, nil
}

// pickByMAC returns the link carrying mac, passing over links enslaved to
// another (the VF of an accelerated Hyper-V adapter shares the synthetic
// adapter's MAC and is its slave). Of several candidates the one with the
// lowest index wins. It returns nil when none matches.
func pickByMAC(links []netlink.Link, mac net.HardwareAddr) netlink.Link {
	var best netlink.Link
	for _, l := range links {
		at := l.Attrs()
		if !bytes.Equal(at.HardwareAddr, mac) || at.MasterIndex != 0 {
			continue
		}
		if best == nil || at.Index < best.Attrs().Index {
			best = l
		}
	}
	return best
}

// vmbusNetName returns the interface name of the network device of VMBus
// device id (a GUID, braces and case ignored) under the VMBus devices
// directory dir: the single entry of <dir>/<id>/net, or for a VPCI-assigned
// adapter of <dir>/<id>/pci*/*/net. It returns "" when there is none yet.
func vmbusNetName(dir, id string, vpci bool) (string, error) {
	id = strings.ToLower(strings.Trim(strings.TrimSpace(id), "{}"))
	if id == "" || strings.ContainsAny(id, `/\*?[`) || id == "." || id == ".." {
		return "", fmt.Errorf("VMBus id %q: %w", id, ErrInvalidConfig)
	}
	pattern := filepath.Join(dir, id, "net", "*")
	if vpci {
		pattern = filepath.Join(dir, id, "pci*", "*", "net", "*")
	}
	names, err := filepath.Glob(pattern)
	if err != nil {
		return "", fmt.Errorf("listing %s: %w", pattern, err)
	}
	switch len(names) {
	case 0:
		return "", nil
	case 1:
		return filepath.Base(names[0]), nil
	}
	slices.Sort(names)
	return "", fmt.Errorf("VMBus device %s has several network interfaces (%s)", id, strings.Join(names, ", "))
}
