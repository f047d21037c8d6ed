package network

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestParseMAC(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "00-15-5D-11-22-33", want: "00:15:5d:11:22:33"},
		{in: "00:15:5d:11:22:33", want: "00:15:5d:11:22:33"},
		{in: "00-15-5d-aB-cD-eF", want: "00:15:5d:ab:cd:ef"},
		{in: " 00:15:5D:11:22:33 ", want: "00:15:5d:11:22:33"},
		{in: "", wantErr: true},
		{in: "00-15-5D-11-22", wantErr: true},
		{in: "00-15-5D-11-22-GG", wantErr: true},
		{in: "00:00:00:00:fe:80:00:00", wantErr: true}, // EUI-64
		{in: "not a mac", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseMAC(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("parseMAC(%q) = %v, %v; want ErrInvalidConfig", tt.in, got, err)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("parseMAC(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		ip      string
		bits    uint8
		want    string
		wantErr bool
	}{
		{ip: "192.0.2.5", bits: 24, want: "192.0.2.5/24"},
		{ip: "192.0.2.5", bits: 32, want: "192.0.2.5/32"},
		{ip: "2001:db8::5", bits: 64, want: "2001:db8::5/64"},
		{ip: "::ffff:192.0.2.5", bits: 24, want: "192.0.2.5/24"},
		{ip: " 192.0.2.5 ", bits: 24, want: "192.0.2.5/24"},
		{ip: "192.0.2.5", bits: 0, wantErr: true},
		{ip: "192.0.2.5", bits: 33, wantErr: true},
		{ip: "2001:db8::5", bits: 129, wantErr: true},
		{ip: "192.0.2.300", bits: 24, wantErr: true},
		{ip: "fe80::1%eth0", bits: 64, wantErr: true},
		{ip: "", bits: 24, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			got, err := parseAddress(prot.LCOWIPConfig{IPAddress: tt.ip, PrefixLength: tt.bits})
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("parseAddress(%q/%d) = %v, %v; want ErrInvalidConfig", tt.ip, tt.bits, got, err)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("parseAddress(%q/%d) = %v, %v; want %s", tt.ip, tt.bits, got, err, tt.want)
			}
		})
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		name      string
		r         prot.LCOWRoute
		lowMetric bool
		kind      routeKind
		dst       string
		gw        string // "" for none
		priority  int
		wantErr   bool
	}{
		{name: "v4 default", r: prot.LCOWRoute{DestinationPrefix: "0.0.0.0/0", NextHop: "192.0.2.1"}, kind: routeDefault, dst: "0.0.0.0/0", gw: "192.0.2.1"},
		{name: "v6 default", r: prot.LCOWRoute{DestinationPrefix: "::/0", NextHop: "2001:db8::1", Metric: 5}, kind: routeDefault, dst: "::/0", gw: "2001:db8::1", priority: 5},
		{name: "v4 via", r: prot.LCOWRoute{DestinationPrefix: "198.51.100.0/24", NextHop: "192.0.2.254", Metric: 20}, kind: routeVia, dst: "198.51.100.0/24", gw: "192.0.2.254", priority: 20},
		{name: "host bits masked", r: prot.LCOWRoute{DestinationPrefix: "198.51.100.7/24", NextHop: "192.0.2.254"}, kind: routeVia, dst: "198.51.100.0/24", gw: "192.0.2.254"},
		{name: "v4 on-link", r: prot.LCOWRoute{DestinationPrefix: "203.0.113.0/24"}, kind: routeOnLink, dst: "203.0.113.0/24"},
		{name: "unspecified hop is on-link", r: prot.LCOWRoute{DestinationPrefix: "203.0.113.0/24", NextHop: "0.0.0.0"}, kind: routeOnLink, dst: "203.0.113.0/24"},
		{name: "v6 unspecified hop", r: prot.LCOWRoute{DestinationPrefix: "2001:db8:1::/48", NextHop: "::"}, kind: routeOnLink, dst: "2001:db8:1::/48"},
		{name: "default on-link", r: prot.LCOWRoute{DestinationPrefix: "0.0.0.0/0"}, kind: routeOnLink, dst: "0.0.0.0/0"},
		{name: "mapped hop", r: prot.LCOWRoute{DestinationPrefix: "0.0.0.0/0", NextHop: "::ffff:192.0.2.1"}, kind: routeDefault, dst: "0.0.0.0/0", gw: "192.0.2.1"},
		{name: "low metric", r: prot.LCOWRoute{DestinationPrefix: "0.0.0.0/0", NextHop: "192.0.2.1", Metric: 300}, lowMetric: true, kind: routeDefault, dst: "0.0.0.0/0", gw: "192.0.2.1", priority: lowMetricPriority},
		{name: "no prefix", r: prot.LCOWRoute{NextHop: "192.0.2.1"}, wantErr: true},
		{name: "bare address", r: prot.LCOWRoute{DestinationPrefix: "192.0.2.0", NextHop: "192.0.2.1"}, wantErr: true},
		{name: "bad hop", r: prot.LCOWRoute{DestinationPrefix: "0.0.0.0/0", NextHop: "192.0.2"}, wantErr: true},
		{name: "family mismatch", r: prot.LCOWRoute{DestinationPrefix: "0.0.0.0/0", NextHop: "2001:db8::1"}, wantErr: true},
		{name: "bad bits", r: prot.LCOWRoute{DestinationPrefix: "10.0.0.0/40"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRoute(tt.r, tt.lowMetric)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("parseRoute(%+v) = %+v, %v; want ErrInvalidConfig", tt.r, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseRoute(%+v): %v", tt.r, err)
			}
			var gw netip.Addr
			if tt.gw != "" {
				gw = netip.MustParseAddr(tt.gw)
			}
			want := route{kind: tt.kind, dst: netip.MustParsePrefix(tt.dst), gw: gw, priority: tt.priority}
			if got != want {
				t.Fatalf("parseRoute(%+v) = %+v; want %+v", tt.r, got, want)
			}
		})
	}
}

func TestParseConfigOrdersRoutes(t *testing.T) {
	cfg, err := parseConfig(&prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", Routes: []prot.LCOWRoute{
		{DestinationPrefix: "0.0.0.0/0", NextHop: "169.254.0.1"},
		{DestinationPrefix: "198.51.100.0/24", NextHop: "169.254.0.1"},
		{DestinationPrefix: "169.254.0.1/32"},
		{DestinationPrefix: "::/0", NextHop: "2001:db8::1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []routeKind
	for _, r := range cfg.routes {
		kinds = append(kinds, r.kind)
	}
	if want := []routeKind{routeOnLink, routeVia, routeDefault, routeDefault}; !slices.Equal(kinds, want) {
		t.Fatalf("route kinds %v; want %v", kinds, want)
	}
	if cfg.routes[2].dst.Addr().Is6() {
		t.Fatalf("defaults reordered: %+v", cfg.routes)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		a    *prot.LCOWNetworkAdapter
	}{
		{name: "nil", a: nil},
		{name: "no namespace", a: &prot.LCOWNetworkAdapter{ID: "a"}},
		{name: "no id", a: &prot.LCOWNetworkAdapter{NamespaceID: "n"}},
		{name: "bad mac", a: &prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", MacAddress: "00-11"}},
		{name: "bad ip", a: &prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", IPConfigs: []prot.LCOWIPConfig{{IPAddress: "10.0.0.300", PrefixLength: 8}}}},
		{name: "bad route", a: &prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", Routes: []prot.LCOWRoute{{DestinationPrefix: "x"}}}},
		{name: "bad server", a: &prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", DNSServerList: "10.0.0.10,dns.example"}},
		{name: "injected suffix", a: &prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", DNSSuffix: "a.example\noptions ndots:9"}},
		{name: "zoned server", a: &prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", DNSServerList: "fe80::1%eth0"}},
		{name: "too many servers", a: &prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", DNSServerList: strings.Repeat("10.0.0.10,", maxDNSEntries+1)}},
		{name: "too many suffixes", a: &prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", DNSSuffix: strings.Repeat("a.example,", maxDNSEntries+1)}},
		{name: "suffix longer than a domain name", a: &prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", DNSSuffix: strings.Repeat("a", maxDNSNameLen+1)}},
		{name: "injected server zone", a: &prot.LCOWNetworkAdapter{NamespaceID: "n", ID: "a", DNSServerList: "10.0.0.10,fe80::1%x\nnameserver 203.0.113.66"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseConfig(tt.a); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("parseConfig: %v; want ErrInvalidConfig", err)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{in: "", want: nil},
		{in: " , ,", want: nil},
		{in: "a", want: []string{"a"}},
		{in: " a , b,,c ", want: []string{"a", "b", "c"}},
		{in: "a,a", want: []string{"a", "a"}},
	}
	for _, tt := range tests {
		if got := splitList(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitList(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestResolvConf(t *testing.T) {
	tests := []struct {
		name            string
		servers, search []string
		want            string
	}{
		{name: "empty", want: ""},
		{name: "servers", servers: []string{"192.0.2.10", "2001:db8::53"}, want: "nameserver 192.0.2.10\nnameserver 2001:db8::53\n"},
		{name: "search only", search: []string{"svc.local"}, want: "search svc.local\n"},
		{name: "both", servers: []string{"192.0.2.10"}, search: []string{"a.example", "b.example"}, want: "nameserver 192.0.2.10\nsearch a.example b.example\n"},
		{name: "unsafe server skipped", servers: []string{"fe80::1%x\noptions ndots:15", "192.0.2.10", "", "192.0.2.11 x"}, want: "nameserver 192.0.2.10\n"},
		{name: "unsafe search skipped", search: []string{"a.example", "b\rc", "\x00", "d e"}, want: "search a.example\n"},
		{name: "only unsafe search", search: []string{"x\noptions ndots:9"}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(ResolvConf(tt.servers, tt.search)); got != tt.want {
				t.Fatalf("ResolvConf = %q; want %q", got, tt.want)
			}
		})
	}
}

// TestDNSServerZoneCannotInjectResolvConfLines: netip.ParseAddr accepts an
// IPv6 zone of any bytes, newlines included, and String() keeps it; a
// hostile host must not get extra resolv.conf lines into a container
// through DNSServerList. The adapter is either refused or each server
// gives exactly one line.
func TestDNSServerZoneCannotInjectResolvConfLines(t *testing.T) {
	tests := []struct {
		name, list string
	}{
		{name: "newline in zone", list: "fe80::1%x\nnameserver 203.0.113.66\noptions ndots:15 timeout:30 attempts:5"},
		{name: "carriage return in zone", list: "10.0.0.10,fe80::1%x\roptions ndots:15"},
		{name: "space in zone", list: "fe80::1%x options"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig(&prot.LCOWNetworkAdapter{NamespaceID: "ns", ID: "ad", DNSServerList: tt.list})
			if err != nil {
				if !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("parseConfig: %v; want ErrInvalidConfig", err)
				}
				return
			}
			rc := string(ResolvConf(cfg.servers, cfg.search))
			lines := strings.Split(strings.TrimSuffix(rc, "\n"), "\n")
			if len(lines) != len(cfg.servers) {
				t.Fatalf("%d DNS servers produced %d resolv.conf lines:\n%s", len(cfg.servers), len(lines), rc)
			}
		})
	}
}
