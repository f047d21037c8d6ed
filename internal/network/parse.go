package network

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"unicode"

	"github.com/linux-gcs/gcs/internal/prot"
)

// ErrInvalidConfig is wrapped by errors about an adapter's settings that
// cannot be applied as given: a malformed MAC address, IP address, prefix,
// route or DNS entry, more DNS servers or search suffixes than
// maxDNSEntries, a missing id, or an MTU overhead at least as large as the
// link's MTU. The wrapping error names the offending value.
var ErrInvalidConfig = errors.New("invalid network adapter configuration")

// maxDNSEntries bounds the DNS servers and the search suffixes of one
// adapter. A resolver reads the first 3 nameservers and (glibc before 2.26,
// the reference) 6 search domains; the bound leaves room for more while
// keeping a hostile host from making each resolv.conf megabytes long.
const maxDNSEntries = 64

// maxDNSNameLen is the longest a domain name can be written (RFC 1035:
// 255 octets on the wire).
const maxDNSNameLen = 253

// lowMetricPriority is the route priority given to every route of an adapter
// with EnableLowMetric: the most preferred value that both IPv4 and IPv6
// keep as given (the kernel turns an IPv6 priority of 0 into 1024).
const lowMetricPriority = 1

// routeKind classifies a host route.
type routeKind int

// Route kinds, in the order they are installed: on-link routes first, since
// the gateways of later routes may only be reachable through them, then
// routes via a gateway, then default routes.
const (
	routeOnLink routeKind = iota
	routeVia
	routeDefault
)

// String names the kind for logs and test failures.
func (k routeKind) String() string {
	switch k {
	case routeOnLink:
		return "on-link"
	case routeVia:
		return "via"
	case routeDefault:
		return "default"
	}
	return fmt.Sprintf("routeKind(%d)", int(k))
}

// route is a validated host route.
type route struct {
	kind     routeKind
	dst      netip.Prefix // masked
	gw       netip.Addr   // zero for on-link routes
	priority int
}

// config is the validated form of a prot.LCOWNetworkAdapter.
type config struct {
	mac     net.HardwareAddr // nil when the host sent none
	addrs   []netip.Prefix   // address with its prefix length, not masked
	routes  []route          // in installation order
	servers []string         // normalised DNS server addresses
	search  []string         // DNS search suffixes
}

// parseConfig validates a and converts it to a config. Every error wraps
// ErrInvalidConfig.
func parseConfig(a *prot.LCOWNetworkAdapter) (*config, error) {
	if a == nil {
		return nil, fmt.Errorf("no adapter settings: %w", ErrInvalidConfig)
	}
	if strings.TrimSpace(a.NamespaceID) == "" {
		return nil, fmt.Errorf("adapter %q has no NamespaceID: %w", a.ID, ErrInvalidConfig)
	}
	if strings.TrimSpace(a.ID) == "" {
		return nil, fmt.Errorf("adapter in namespace %q has no ID: %w", a.NamespaceID, ErrInvalidConfig)
	}
	c := &config{}
	if a.MacAddress != "" {
		mac, err := parseMAC(a.MacAddress)
		if err != nil {
			return nil, err
		}
		c.mac = mac
	}
	for _, ipc := range a.IPConfigs {
		p, err := parseAddress(ipc)
		if err != nil {
			return nil, err
		}
		c.addrs = append(c.addrs, p)
	}
	for _, r := range a.Routes {
		rt, err := parseRoute(r, a.EnableLowMetric)
		if err != nil {
			return nil, err
		}
		c.routes = append(c.routes, rt)
	}
	slices.SortStableFunc(c.routes, func(x, y route) int { return cmp.Compare(x.kind, y.kind) })
	var err error
	if c.servers, err = parseServers(a.DNSServerList); err != nil {
		return nil, err
	}
	if c.search, err = parseSearch(a.DNSSuffix); err != nil {
		return nil, err
	}
	return c, nil
}

// parseMAC parses a 48-bit MAC address written with '-' or ':' separators
// in either case, such as "00-15-5D-11-22-33" or "00:15:5d:11:22:33".
func parseMAC(s string) (net.HardwareAddr, error) {
	mac, err := net.ParseMAC(strings.TrimSpace(s))
	if err != nil || len(mac) != 6 {
		return nil, fmt.Errorf("MAC address %q: %w", s, ErrInvalidConfig)
	}
	return mac, nil
}

// parseAddress validates one of the adapter's addresses. An IPv4-mapped IPv6
// address counts as IPv4. A prefix length of zero or beyond the address's
// size is refused.
func parseAddress(c prot.LCOWIPConfig) (netip.Prefix, error) {
	ip, err := netip.ParseAddr(strings.TrimSpace(c.IPAddress))
	if err != nil || ip.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("IP address %q: %w", c.IPAddress, ErrInvalidConfig)
	}
	ip = ip.Unmap()
	if c.PrefixLength == 0 || int(c.PrefixLength) > ip.BitLen() {
		return netip.Prefix{}, fmt.Errorf("prefix length %d of IP address %s: %w", c.PrefixLength, ip, ErrInvalidConfig)
	}
	return netip.PrefixFrom(ip, int(c.PrefixLength)), nil
}

// parseRoute validates and classifies a host route. A DestinationPrefix of
// "0.0.0.0/0" or "::/0" with a NextHop is a default route; any other prefix
// with a NextHop is a route via that gateway; without a NextHop (or with an
// unspecified one, "0.0.0.0" or "::", as Windows writes on-link routes) the
// route is on-link. Host bits of the prefix are ignored. The Metric becomes
// the route's priority, except that lowMetric gives every route
// lowMetricPriority.
func parseRoute(r prot.LCOWRoute, lowMetric bool) (route, error) {
	dst, err := netip.ParsePrefix(strings.TrimSpace(r.DestinationPrefix))
	if err != nil || dst.Addr().Zone() != "" {
		return route{}, fmt.Errorf("route destination %q: %w", r.DestinationPrefix, ErrInvalidConfig)
	}
	if dst.Addr().Is4In6() {
		bits := dst.Bits() - 96
		if bits < 0 {
			return route{}, fmt.Errorf("route destination %q: %w", r.DestinationPrefix, ErrInvalidConfig)
		}
		dst = netip.PrefixFrom(dst.Addr().Unmap(), bits)
	}
	rt := route{kind: routeOnLink, dst: dst.Masked(), priority: int(r.Metric)}
	if lowMetric {
		rt.priority = lowMetricPriority
	}
	if hop := strings.TrimSpace(r.NextHop); hop != "" {
		gw, err := netip.ParseAddr(hop)
		if err != nil {
			return route{}, fmt.Errorf("next hop %q of route %s: %w", r.NextHop, r.DestinationPrefix, ErrInvalidConfig)
		}
		gw = gw.Unmap()
		if gw.Is4() != rt.dst.Addr().Is4() {
			return route{}, fmt.Errorf("next hop %s of route %s is of another address family: %w", gw, rt.dst, ErrInvalidConfig)
		}
		if !gw.IsUnspecified() {
			rt.gw = gw
			rt.kind = routeVia
			if rt.dst.Bits() == 0 {
				rt.kind = routeDefault
			}
		}
	}
	return rt, nil
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty entries.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseServers validates a comma-separated list of DNS server addresses and
// returns them in canonical form. An IPv6 zone is refused, as for the
// adapter's addresses and routes: netip keeps a zone of any bytes, newlines
// included, and resolv.conf would print it verbatim. More than
// maxDNSEntries servers are refused.
func parseServers(list string) ([]string, error) {
	entries := splitList(list)
	if len(entries) > maxDNSEntries {
		return nil, fmt.Errorf("%d DNS servers, more than %d: %w", len(entries), maxDNSEntries, ErrInvalidConfig)
	}
	var out []string
	for _, s := range entries {
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.Zone() != "" {
			return nil, fmt.Errorf("DNS server %q: %w", s, ErrInvalidConfig)
		}
		out = append(out, ip.Unmap().String())
	}
	return out, nil
}

// parseSearch validates a comma-separated DNS search list. Entries may not
// hold white space or control characters, which would break (or inject
// lines into) resolv.conf, nor be longer than a domain name can be
// (maxDNSNameLen); more than maxDNSEntries are refused.
func parseSearch(list string) ([]string, error) {
	out := splitList(list)
	if len(out) > maxDNSEntries {
		return nil, fmt.Errorf("%d DNS suffixes, more than %d: %w", len(out), maxDNSEntries, ErrInvalidConfig)
	}
	for _, s := range out {
		if !resolvConfSafe(s) || len(s) > maxDNSNameLen {
			return nil, fmt.Errorf("DNS suffix %.300q: %w", s, ErrInvalidConfig)
		}
	}
	return out, nil
}

// resolvConfSafe reports whether s can stand as one word of a resolv.conf
// line: not empty, and without white space or control characters, which
// would split it or start another line.
func resolvConfSafe(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

// appendUnique appends to dst those of items whose case-folded form is not
// in seen yet, and adds them to seen. It costs one map look-up per item,
// whatever the length of dst.
func appendUnique(dst []string, seen map[string]struct{}, items ...string) []string {
	for _, it := range items {
		k := strings.ToLower(it)
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			dst = append(dst, it)
		}
	}
	return dst
}

// ResolvConf renders a resolv.conf: a "nameserver X" line per server, in
// order, then one "search a b" line when search is not empty. It is empty
// when both are. An entry that is empty or holds white space or control
// characters is left out: parsing refuses those already, and this keeps
// any that got past it from adding lines of its own.
func ResolvConf(servers, search []string) []byte {
	var b bytes.Buffer
	for _, s := range servers {
		if resolvConfSafe(s) {
			fmt.Fprintf(&b, "nameserver %s\n", s)
		}
	}
	search = slices.DeleteFunc(slices.Clone(search), func(s string) bool { return !resolvConfSafe(s) })
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	return b.Bytes()
}
