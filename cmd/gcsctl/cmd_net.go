package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/linux-gcs/gcs/internal/prot"
)

// netAddCommand adds a network adapter to a namespace.
func netAddCommand() command {
	return command{
		name: "net add",
		args: "--ns NSID --id ADAPTERID --mac MAC [--ip A/PREFIX]... [--route DEST=NEXTHOP[@METRIC]]... " +
			"[--dns SERVER,...] [--dns-suffix S,...] [--encap-overhead N]",
		summary: "add network adapter ADAPTERID to network namespace NSID (Network Add)",
		detail: `The GCS configures the adapter once the namespace is attached to a container.
Example route: --route 0.0.0.0/0=10.0.0.1@256.`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			var ips, routes stringList
			a := &prot.LCOWNetworkAdapter{}
			fs.StringVar(&a.NamespaceID, "ns", "", "network namespace `NSID` (required)")
			fs.StringVar(&a.ID, "id", "", "adapter `ADAPTERID` (required)")
			fs.StringVar(&a.MacAddress, "mac", "", "the adapter's `MAC` address (required)")
			fs.Var(&ips, "ip", "address `A/PREFIX`; repeat for more")
			fs.Var(&routes, "route", "route `DEST=NEXTHOP[@METRIC]`; repeat for more")
			fs.StringVar(&a.DNSServerList, "dns", "", "DNS servers `SERVER,...`")
			fs.StringVar(&a.DNSSuffix, "dns-suffix", "", "DNS search list `S,...`")
			encap := fs.Uint64("encap-overhead", 0, "MTU reduction `N` in bytes")
			return func(args []string, _ io.Reader) (action, error) {
				if err := requireFlags("net add", setFlags(fs), "ns", "id", "mac"); err != nil {
					return nil, err
				}
				if len(args) != 0 {
					return nil, usageErrorf("net add takes no arguments, got %q", args)
				}
				if err := completeAdapter(a, ips, routes, *encap); err != nil {
					return nil, usageErrorf("net add: %v", err)
				}
				return modifyVM(prot.ResourceTypeNetwork, prot.RequestTypeAdd, a), nil
			}
		},
	}
}

// completeAdapter validates the adapter's flags and fills in the parsed
// addresses, routes and overhead.
func completeAdapter(a *prot.LCOWNetworkAdapter, ips, routes []string, encap uint64) error {
	if _, err := net.ParseMAC(a.MacAddress); err != nil {
		return fmt.Errorf("--mac: %v", err)
	}
	for _, s := range ips {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("--ip: %v", err)
		}
		a.IPConfigs = append(a.IPConfigs, prot.LCOWIPConfig{IPAddress: p.Addr().String(), PrefixLength: uint8(p.Bits())})
	}
	for _, s := range routes {
		r, err := parseRoute(s)
		if err != nil {
			return fmt.Errorf("--route %q: %v", s, err)
		}
		a.Routes = append(a.Routes, r)
	}
	if a.DNSServerList != "" {
		for _, server := range strings.Split(a.DNSServerList, ",") {
			if _, err := netip.ParseAddr(strings.TrimSpace(server)); err != nil {
				return fmt.Errorf("--dns: %v", err)
			}
		}
	}
	if encap > math.MaxUint16 {
		return fmt.Errorf("--encap-overhead %d out of range 0..%d", encap, math.MaxUint16)
	}
	a.EncapOverhead = uint16(encap)
	return nil
}

// parseRoute parses DEST=NEXTHOP[@METRIC].
func parseRoute(s string) (prot.LCOWRoute, error) {
	dest, hop, ok := strings.Cut(s, "=")
	if !ok {
		return prot.LCOWRoute{}, fmt.Errorf("want DEST=NEXTHOP[@METRIC]")
	}
	if _, err := netip.ParsePrefix(dest); err != nil {
		return prot.LCOWRoute{}, err
	}
	r := prot.LCOWRoute{DestinationPrefix: dest}
	hop, metric, hasMetric := strings.Cut(hop, "@")
	if _, err := netip.ParseAddr(hop); err != nil {
		return prot.LCOWRoute{}, err
	}
	r.NextHop = hop
	if hasMetric {
		m, err := strconv.ParseUint(metric, 10, 16)
		if err != nil {
			return prot.LCOWRoute{}, fmt.Errorf("metric %q is not a number from 0 to %d", metric, math.MaxUint16)
		}
		r.Metric = uint16(m)
	}
	return r, nil
}

// netRemoveCommand removes a network adapter.
func netRemoveCommand() command {
	return command{
		name:      "net remove",
		args:      "--ns NSID --id ADAPTERID",
		summary:   "remove network adapter ADAPTERID from namespace NSID (Network Remove)",
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			a := &prot.LCOWNetworkAdapter{}
			fs.StringVar(&a.NamespaceID, "ns", "", "network namespace `NSID` (required)")
			fs.StringVar(&a.ID, "id", "", "adapter `ADAPTERID` (required)")
			return func(args []string, _ io.Reader) (action, error) {
				if err := requireFlags("net remove", setFlags(fs), "ns", "id"); err != nil {
					return nil, err
				}
				if len(args) != 0 {
					return nil, usageErrorf("net remove takes no arguments, got %q", args)
				}
				return modifyVM(prot.ResourceTypeNetwork, prot.RequestTypeRemove, a), nil
			}
		},
	}
}
