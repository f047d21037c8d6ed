package network

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// testAdapter returns full settings for v's adapter end in namespace nsID,
// with the MAC written the host's way ("02-AB-...").
func testAdapter(t *testing.T, v testVeth, nsID string) *prot.LCOWNetworkAdapter {
	return &prot.LCOWNetworkAdapter{
		NamespaceID:   strings.ToUpper(nsID),
		ID:            "A-" + randomHex(t, 8),
		MacAddress:    strings.ToUpper(strings.ReplaceAll(v.mac.String(), ":", "-")),
		DNSServerList: "192.0.2.10, 2001:db8::53",
		DNSSuffix:     "svc.local,cluster.local",
		EncapOverhead: 50,
		IPConfigs: []prot.LCOWIPConfig{
			{IPAddress: "192.0.2.5", PrefixLength: 24},
			{IPAddress: "2001:db8:1::5", PrefixLength: 64},
		},
		Routes: []prot.LCOWRoute{
			{DestinationPrefix: "0.0.0.0/0", NextHop: "192.0.2.1"},
			{DestinationPrefix: "::/0", NextHop: "2001:db8:1::1"},
			{DestinationPrefix: "198.51.100.0/24", NextHop: "192.0.2.254", Metric: 100},
			{DestinationPrefix: "203.0.113.0/24", Metric: 7},
		},
	}
}

// newNSID returns a unique namespace id.
func newNSID(t *testing.T) string { return "ns-" + randomHex(t, 8) }

// findRoute returns the route of l seen by h to dst ("0.0.0.0/0" style),
// or nil.
func findRoute(t *testing.T, h *netlink.Handle, l netlink.Link, family int, dst string) *netlink.Route {
	t.Helper()
	routes, err := h.RouteListFiltered(family, &netlink.Route{LinkIndex: l.Attrs().Index}, netlink.RT_FILTER_OIF)
	if err != nil {
		t.Fatalf("listing routes of %s: %v", l.Attrs().Name, err)
	}
	for i, r := range routes {
		if r.Dst != nil && r.Dst.String() == dst {
			return &routes[i]
		}
	}
	return nil
}

// checkConfigured asserts that v's adapter end is configured in c as
// testAdapter asks and gone from the root namespace.
func checkConfigured(t *testing.T, v testVeth, c testContainer) {
	t.Helper()
	if l := linkIn(t, rootHandle(t), v.name); l != nil {
		t.Errorf("link %s still in the root namespace", v.name)
	}
	l := linkIn(t, c.h, v.name)
	if l == nil {
		t.Fatalf("link %s not in the container's namespace", v.name)
	}
	if l.Attrs().RawFlags&unix.IFF_UP == 0 {
		t.Errorf("link %s is not up", v.name)
	}
	if l.Attrs().MTU != v.mtu-50 {
		t.Errorf("link %s MTU %d; want %d", v.name, l.Attrs().MTU, v.mtu-50)
	}
	if !slices.Equal(l.Attrs().HardwareAddr, v.mac) {
		t.Errorf("link %s MAC %s; want %s", v.name, l.Attrs().HardwareAddr, v.mac)
	}
	if got, want := globalAddrs(t, c.h, l), []string{"192.0.2.5/24", "2001:db8:1::5/64"}; !slices.Equal(got, want) {
		t.Errorf("addresses %v; want %v", got, want)
	}
	if lo := linkIn(t, c.h, "lo"); lo == nil || lo.Attrs().RawFlags&unix.IFF_UP == 0 {
		t.Errorf("loopback is not up in the container's namespace")
	}
	tests := []struct {
		family        int
		dst, gw       string
		priority      int
		scope         netlink.Scope
		checkPriority bool
	}{
		{family: netlink.FAMILY_V4, dst: "0.0.0.0/0", gw: "192.0.2.1", checkPriority: true},
		{family: netlink.FAMILY_V6, dst: "::/0", gw: "2001:db8:1::1"},
		{family: netlink.FAMILY_V4, dst: "198.51.100.0/24", gw: "192.0.2.254", priority: 100, checkPriority: true},
		{family: netlink.FAMILY_V4, dst: "203.0.113.0/24", priority: 7, scope: netlink.SCOPE_LINK, checkPriority: true},
	}
	for _, tt := range tests {
		r := findRoute(t, c.h, l, tt.family, tt.dst)
		if r == nil {
			t.Errorf("no route to %s", tt.dst)
			continue
		}
		var gw string
		if r.Gw != nil {
			gw = r.Gw.String()
		}
		if gw != tt.gw || (tt.checkPriority && r.Priority != tt.priority) || (tt.family == netlink.FAMILY_V4 && r.Scope != tt.scope) {
			t.Errorf("route to %s: via %q metric %d scope %v; want via %q metric %d scope %v", tt.dst, gw, r.Priority, r.Scope, tt.gw, tt.priority, tt.scope)
		}
	}
}

func TestAttachThenAddConfiguresAndRemoveReturns(t *testing.T) {
	requireNetAdmin(t)
	tests := []struct {
		name      string
		noCarrier bool // peer down: routes via gateways must still go in
	}{
		{name: "carrier"},
		{name: "no carrier", noCarrier: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			v := newVeth(t)
			if tt.noCarrier {
				peer, err := netlink.LinkByName(v.peer)
				if err == nil {
					err = netlink.LinkSetDown(peer)
				}
				if err != nil {
					t.Fatalf("setting %s down: %v", v.peer, err)
				}
			}
			c := newContainer(t)
			nsID := newNSID(t)
			m := newTestManager(t, Options{}, nsID)

			if err := m.Attach(ctx, nsID, c.pid); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			a := testAdapter(t, v, nsID)
			if err := m.AddAdapter(ctx, a); err != nil {
				t.Fatalf("AddAdapter: %v", err)
			}
			checkConfigured(t, v, c)

			servers, search := m.DNS(strings.ToUpper(nsID))
			want := "nameserver 192.0.2.10\nnameserver 2001:db8::53\nsearch svc.local cluster.local\n"
			if got := string(ResolvConf(servers, search)); got != want {
				t.Errorf("resolv.conf %q; want %q", got, want)
			}

			if err := m.AddAdapter(ctx, a); !errors.Is(err, os.ErrExist) {
				t.Errorf("second AddAdapter with the same id: %v; want os.ErrExist", err)
			}
			if err := m.RemoveAdapter(ctx, nsID, strings.ToLower(a.ID)); err != nil {
				t.Fatalf("RemoveAdapter: %v", err)
			}
			checkReturned(t, v, c)
			if servers, search := m.DNS(nsID); servers != nil || search != nil {
				t.Errorf("DNS after removal: %q %q", servers, search)
			}
			if err := m.RemoveAdapter(ctx, nsID, a.ID); !errors.Is(err, ErrAdapterNotFound) {
				t.Errorf("second RemoveAdapter: %v; want ErrAdapterNotFound", err)
			}
		})
	}
}

func TestAddBeforeAttachDetachAndReattach(t *testing.T) {
	requireNetAdmin(t)
	ctx := context.Background()
	v := newVeth(t)
	nsID := newNSID(t)
	var lookups int
	lookup := LookupFunc(func(_ context.Context, a *prot.LCOWNetworkAdapter) (netlink.Link, error) {
		lookups++
		return netlink.LinkByName(v.name)
	})
	m := newTestManager(t, Options{Lookup: lookup}, nsID)

	if err := m.AddAdapter(ctx, testAdapter(t, v, nsID)); err != nil {
		t.Fatalf("AddAdapter: %v", err)
	}
	// Looked up once, to refuse an adapter that is not there, but left
	// alone until Attach.
	if lookups != 1 || linkIn(t, rootHandle(t), v.name) == nil {
		t.Fatalf("adapter touched before Attach (lookups %d)", lookups)
	}

	c1 := newContainer(t)
	if err := m.Attach(ctx, nsID, c1.pid); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	checkConfigured(t, v, c1)
	if err := m.Attach(ctx, nsID, c1.pid); err != nil {
		t.Errorf("Attach again to the same pid: %v", err)
	}
	c2 := newContainer(t)
	if err := m.Attach(ctx, nsID, c2.pid); err == nil {
		t.Errorf("Attach to another pid while attached succeeded")
	}

	if err := m.Detach(ctx, nsID); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	checkReturned(t, v, c1)
	if servers, _ := m.DNS(nsID); len(servers) != 2 {
		t.Errorf("adapter forgotten by Detach: DNS servers %q", servers)
	}

	// The registration survives: a new container gets the adapter, with
	// the MTU reduced from the restored one, not twice.
	if err := m.Attach(ctx, nsID, c2.pid); err != nil {
		t.Fatalf("Attach to a second container: %v", err)
	}
	checkConfigured(t, v, c2)
	if lookups != 3 { // at Add and at each Attach
		t.Errorf("%d lookups; want 3", lookups)
	}
}

func TestDetachAfterContainerExit(t *testing.T) {
	requireNetAdmin(t)
	ctx := context.Background()
	v := newVeth(t)
	c := newContainer(t)
	nsID := newNSID(t)
	m := newTestManager(t, Options{}, nsID)
	if err := m.Attach(ctx, nsID, c.pid); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	if err := m.AddAdapter(ctx, testAdapter(t, v, nsID)); err != nil {
		t.Fatalf("AddAdapter: %v", err)
	}
	// The namespace outlives its last process while the Manager holds it,
	// so the adapter (here a veth, which would die with the namespace)
	// still comes back.
	c.kill()
	if err := m.Detach(ctx, nsID); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	checkReturned(t, v, c)
}

func TestAddAdapterFailuresLeaveLinkInRoot(t *testing.T) {
	requireNetAdmin(t)
	tests := []struct {
		name    string
		edit    func(a *prot.LCOWNetworkAdapter)
		wantErr error // nil: any error
	}{
		{name: "unknown MAC", edit: func(a *prot.LCOWNetworkAdapter) { a.MacAddress = "02-00-00-00-00-01" }, wantErr: ErrAdapterNotFound},
		{name: "bad IP", edit: func(a *prot.LCOWNetworkAdapter) { a.IPConfigs[1].IPAddress = "2001:db8:1::5::" }, wantErr: ErrInvalidConfig},
		{name: "bad route", edit: func(a *prot.LCOWNetworkAdapter) { a.Routes[2].DestinationPrefix = "198.51.100.0" }, wantErr: ErrInvalidConfig},
		{name: "overhead beyond MTU", edit: func(a *prot.LCOWNetworkAdapter) { a.EncapOverhead = 1500 }, wantErr: ErrInvalidConfig},
		// The kernel refuses a gateway outside every connected subnet, after
		// the link was moved and partly configured.
		{name: "unreachable gateway", edit: func(a *prot.LCOWNetworkAdapter) {
			a.Routes = append(a.Routes, prot.LCOWRoute{DestinationPrefix: "198.18.0.0/15", NextHop: "198.51.99.1"})
		}},
		{name: "unreachable v6 gateway", edit: func(a *prot.LCOWNetworkAdapter) {
			a.Routes = append(a.Routes, prot.LCOWRoute{DestinationPrefix: "2001:db8:2::/48", NextHop: "2001:db8:99::1"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			v := newVeth(t)
			c := newContainer(t)
			nsID := newNSID(t)
			m := newTestManager(t, Options{}, nsID)
			if err := m.Attach(ctx, nsID, c.pid); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			good := testAdapter(t, v, nsID)
			bad := testAdapter(t, v, nsID)
			bad.ID = good.ID
			tt.edit(bad)
			err := m.AddAdapter(ctx, bad)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("AddAdapter: %v; want an error wrapping %v", err, tt.wantErr)
			}
			t.Logf("AddAdapter: %v", err)
			checkReturned(t, v, c)
			// Nothing was registered: the same id goes in with good settings.
			if err := m.AddAdapter(ctx, good); err != nil {
				t.Fatalf("AddAdapter after the failure: %v", err)
			}
			checkConfigured(t, v, c)
		})
	}
}

func TestAttachFailures(t *testing.T) {
	requireNetAdmin(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		pid     func(t *testing.T) int
		wantErr error
	}{
		{name: "dead pid", pid: deadPid, wantErr: os.ErrNotExist},
		{name: "root namespace", pid: func(*testing.T) int { return os.Getpid() }, wantErr: ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nsID := newNSID(t)
			m := newTestManager(t, Options{}, nsID)
			if err := m.Attach(ctx, nsID, tt.pid(t)); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Attach: %v; want an error wrapping %v", err, tt.wantErr)
			}
		})
	}
}

func TestAttachRollsBackEarlierAdapters(t *testing.T) {
	requireNetAdmin(t)
	ctx := context.Background()
	v1, v2 := newVeth(t), newVeth(t)
	c := newContainer(t)
	nsID := newNSID(t)
	m := newTestManager(t, Options{}, nsID)
	good := testAdapter(t, v1, nsID)
	bad := testAdapter(t, v2, nsID)
	bad.IPConfigs = []prot.LCOWIPConfig{{IPAddress: "192.0.2.6", PrefixLength: 24}}
	bad.Routes = []prot.LCOWRoute{{DestinationPrefix: "0.0.0.0/0", NextHop: "198.51.99.1"}}
	for _, a := range []*prot.LCOWNetworkAdapter{good, bad} {
		if err := m.AddAdapter(ctx, a); err != nil {
			t.Fatalf("AddAdapter(%s): %v", a.ID, err)
		}
	}
	if err := m.Attach(ctx, nsID, c.pid); err == nil {
		t.Fatal("Attach succeeded with an unreachable gateway")
	}
	checkReturned(t, v1, c)
	checkReturned(t, v2, c)

	// Still detached and both still registered: fixing the bad one lets a
	// new Attach place both.
	if err := m.RemoveAdapter(ctx, nsID, bad.ID); err != nil {
		t.Fatalf("RemoveAdapter: %v", err)
	}
	if err := m.Attach(ctx, nsID, c.pid); err != nil {
		t.Fatalf("Attach after removing the bad adapter: %v", err)
	}
	checkConfigured(t, v1, c)
	if l := linkIn(t, c.h, v2.name); l != nil {
		t.Errorf("removed adapter %s was moved", v2.name)
	}
}

func TestRemoveWhenOriginalNameTaken(t *testing.T) {
	requireNetAdmin(t)
	ctx := context.Background()
	v := newVeth(t)
	c := newContainer(t)
	nsID := newNSID(t)
	m := newTestManager(t, Options{}, nsID)
	if err := m.Attach(ctx, nsID, c.pid); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	a := testAdapter(t, v, nsID)
	if err := m.AddAdapter(ctx, a); err != nil {
		t.Fatalf("AddAdapter: %v", err)
	}
	// Another link takes the adapter's name in the root namespace.
	la := netlink.NewLinkAttrs()
	la.Name = v.name
	squatter := "gq" + randomHex(t, 5)
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: squatter}); err != nil {
		t.Fatalf("creating veth %s/%s: %v", v.name, squatter, err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(squatter); err == nil {
			_ = netlink.LinkDel(l)
		}
	})
	if err := m.RemoveAdapter(ctx, nsID, a.ID); err != nil {
		t.Fatalf("RemoveAdapter: %v", err)
	}
	links, err := listLinks(rootHandle(t))
	if err != nil {
		t.Fatal(err)
	}
	back := pickByMAC(links, v.mac)
	if back == nil {
		t.Fatal("adapter not back in the root namespace")
	}
	if !strings.HasPrefix(back.Attrs().Name, "gcs") || back.Attrs().RawFlags&unix.IFF_UP != 0 || back.Attrs().MTU != v.mtu {
		t.Errorf("returned link %s up=%v MTU %d; want a gcs* fallback name, down, MTU %d",
			back.Attrs().Name, back.Attrs().Flags&net.FlagUp != 0, back.Attrs().MTU, v.mtu)
	}
}

// TestAddOfMissingAdapterHoldsUpNoOtherNamespace: with the default lookup,
// an Add of a MAC that does not exist waits LookupTimeout (5 s) for its
// link. Meanwhile DNS, Attach and Detach of other namespaces (container
// create and delete) must go on; before, they waited for the Add's lock.
// They take milliseconds, so a bound of a fifth of the lookup's wait
// tells held from unheld with room to spare on a loaded machine.
func TestAddOfMissingAdapterHoldsUpNoOtherNamespace(t *testing.T) {
	requireNetAdmin(t)
	ctx := context.Background()
	c := newContainer(t)
	otherNS := newNSID(t)
	m := newTestManager(t, Options{LookupTimeout: DefaultLookupTimeout}, otherNS)
	ghost := &prot.LCOWNetworkAdapter{NamespaceID: newNSID(t), ID: "ghost", MacAddress: "02-00-5e-00-53-99"}
	done := make(chan error, 1)
	go func() { done <- m.AddAdapter(ctx, ghost) }()
	time.Sleep(100 * time.Millisecond) // let the Add start its lookup
	start := time.Now()
	m.DNS("some-other-container-ns")
	if err := m.Attach(ctx, otherNS, c.pid); err != nil {
		t.Errorf("Attach of another namespace: %v", err)
	}
	if err := m.Detach(ctx, otherNS); err != nil {
		t.Errorf("Detach of another namespace: %v", err)
	}
	took := time.Since(start)
	if err := <-done; !errors.Is(err, ErrAdapterNotFound) {
		t.Errorf("Add of a missing adapter: %v; want ErrAdapterNotFound", err)
	}
	if bound := DefaultLookupTimeout / 5; took > bound {
		t.Fatalf("DNS, Attach and Detach of other namespaces took %v (over %v) while an Add of a missing adapter waited", took, bound)
	}
}
