package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/vishvananda/netlink"
)

// anyLookup finds every adapter, as a link that is never touched: none of
// these tests attaches a namespace.
func anyLookup() AdapterLookup {
	return LookupFunc(func(_ context.Context, a *prot.LCOWNetworkAdapter) (netlink.Link, error) {
		return &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "stand-in-" + a.ID}}, nil
	})
}

// TestAddRefusesAdapterNotFound: an adapter whose link cannot be found is
// refused at Add, as the reference does, and leaves nothing registered.
func TestAddRefusesAdapterNotFound(t *testing.T) {
	ctx := context.Background()
	m := New(Options{Log: testutil.Logger(t), Lookup: LookupFunc(func(context.Context, *prot.LCOWNetworkAdapter) (netlink.Link, error) {
		return nil, fmt.Errorf("no link appeared: %w", ErrAdapterNotFound)
	})})
	err := m.AddAdapter(ctx, &prot.LCOWNetworkAdapter{NamespaceID: "ns", ID: "Missing", DNSServerList: "192.0.2.1"})
	if !errors.Is(err, ErrAdapterNotFound) || !strings.HasPrefix(err.Error(), "failed to find adapter missing") {
		t.Fatalf("AddAdapter of a missing adapter: %v; want \"failed to find adapter missing...\" wrapping ErrAdapterNotFound", err)
	}
	if servers, _ := m.DNS("ns"); servers != nil {
		t.Errorf("refused adapter registered: DNS servers %q", servers)
	}
	if err := m.RemoveAdapter(ctx, "ns", "missing"); !errors.Is(err, ErrNamespaceNotFound) {
		t.Errorf("RemoveAdapter after a refused Add: %v; want ErrNamespaceNotFound", err)
	}
}

func TestDNSUnion(t *testing.T) {
	tests := []struct {
		name        string
		adapters    []prot.LCOWNetworkAdapter
		ask         string
		wantServers []string
		wantSearch  []string
	}{
		{
			name:     "unknown namespace",
			adapters: []prot.LCOWNetworkAdapter{{NamespaceID: "ns1", ID: "a", DNSServerList: "192.0.2.10"}},
			ask:      "ns2",
		},
		{
			name:        "single, case-insensitive id",
			adapters:    []prot.LCOWNetworkAdapter{{NamespaceID: "6B1D-AA", ID: "a", DNSServerList: " 192.0.2.10 ,,192.0.2.11", DNSSuffix: "svc.local, cluster.local"}},
			ask:         "6b1d-aa",
			wantServers: []string{"192.0.2.10", "192.0.2.11"},
			wantSearch:  []string{"svc.local", "cluster.local"},
		},
		{
			name: "union in registration order, deduplicated",
			adapters: []prot.LCOWNetworkAdapter{
				{NamespaceID: "ns", ID: "b", DNSServerList: "192.0.2.20,192.0.2.10", DNSSuffix: "b.example"},
				{NamespaceID: "other", ID: "c", DNSServerList: "198.51.100.1", DNSSuffix: "c.example"},
				{NamespaceID: "NS", ID: "a", DNSServerList: "192.0.2.10,2001:db8::53", DNSSuffix: "B.example,a.example"},
			},
			ask:         "ns",
			wantServers: []string{"192.0.2.20", "192.0.2.10", "2001:db8::53"},
			wantSearch:  []string{"b.example", "a.example"},
		},
		{
			name:     "no DNS settings",
			adapters: []prot.LCOWNetworkAdapter{{NamespaceID: "ns", ID: "a"}},
			ask:      "ns",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Options{Lookup: anyLookup(), Log: testutil.Logger(t)})
			for _, a := range tt.adapters {
				if err := m.AddAdapter(context.Background(), &a); err != nil {
					t.Fatalf("AddAdapter(%s): %v", a.ID, err)
				}
			}
			servers, search := m.DNS(tt.ask)
			if !slices.Equal(servers, tt.wantServers) || !slices.Equal(search, tt.wantSearch) {
				t.Fatalf("DNS(%q) = %q, %q; want %q, %q", tt.ask, servers, search, tt.wantServers, tt.wantSearch)
			}
		})
	}
}

func TestRegistrationErrors(t *testing.T) {
	ctx := context.Background()
	m := New(Options{Lookup: anyLookup(), Log: testutil.Logger(t)})
	if err := m.AddAdapter(ctx, &prot.LCOWNetworkAdapter{NamespaceID: "NS", ID: "ADAPTER"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{name: "duplicate id", run: func() error {
			return m.AddAdapter(ctx, &prot.LCOWNetworkAdapter{NamespaceID: "ns", ID: "adapter"})
		}, want: os.ErrExist},
		{name: "bad settings", run: func() error {
			return m.AddAdapter(ctx, &prot.LCOWNetworkAdapter{NamespaceID: "ns", ID: "b", IPConfigs: []prot.LCOWIPConfig{{IPAddress: "bad", PrefixLength: 24}}})
		}, want: ErrInvalidConfig},
		{name: "remove from unknown namespace", run: func() error { return m.RemoveAdapter(ctx, "nope", "adapter") }, want: os.ErrNotExist},
		{name: "remove unknown adapter", run: func() error { return m.RemoveAdapter(ctx, "ns", "nope") }, want: ErrAdapterNotFound},
		{name: "detach unknown namespace", run: func() error { return m.Detach(ctx, "nope") }, want: ErrNamespaceNotFound},
		{name: "attach bad pid", run: func() error { return m.Attach(ctx, "ns", 0) }, want: ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("got %v; want an error wrapping %v", err, tt.want)
			}
		})
	}
	// Detaching a known, unattached namespace is fine; removing forgets.
	if err := m.Detach(ctx, "ns"); err != nil {
		t.Fatalf("Detach of an unattached namespace: %v", err)
	}
	if err := m.RemoveAdapter(ctx, "Ns", "Adapter"); err != nil {
		t.Fatalf("RemoveAdapter: %v", err)
	}
	if err := m.RemoveAdapter(ctx, "ns", "adapter"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("second RemoveAdapter: %v; want os.ErrNotExist (namespace forgotten)", err)
	}
}

// heldUpBound is how long an operation on a namespace may take while an
// Add for another one waits for its link before the test calls it held
// up. Unheld, these operations take microseconds; held, they never end
// before the test releases the lookup, so a generous bound cannot make a
// held operation pass and leaves room for a loaded machine.
const heldUpBound = 2 * time.Second

// blockingLookup finds every adapter at once except those with ID slowID,
// whose lookup reports on entered and then waits for release to be closed
// (or its context to end) before failing as not found: the default
// lookup's wait for a link that never appears, for as long as the test
// wants.
func blockingLookup(slowID string, entered chan<- struct{}, release <-chan struct{}) AdapterLookup {
	return LookupFunc(func(ctx context.Context, a *prot.LCOWNetworkAdapter) (netlink.Link, error) {
		if a.ID != slowID {
			return anyLookup().Find(ctx, a)
		}
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, fmt.Errorf("no link appeared: %w", ErrAdapterNotFound)
	})
}

// startSlowAdd starts an Add of adapter "ghost" in namespace nsID on m (made
// with blockingLookup("ghost", entered, ...)) and returns once its lookup
// has begun, with the channel its result arrives on.
func startSlowAdd(m *Manager, nsID string, entered <-chan struct{}) <-chan error {
	done := make(chan error, 1)
	go func() {
		done <- m.AddAdapter(context.Background(), &prot.LCOWNetworkAdapter{NamespaceID: nsID, ID: "ghost", MacAddress: "02-00-5e-00-53-99"})
	}()
	<-entered
	return done
}

// TestSlowLookupHoldsUpNoOtherNamespace: while an Add waits for a link the
// host named but that is not there, the calls container create and delete
// make for other namespaces (DNS, Detach) and the host's Adds and Removes
// for them go on.
func TestSlowLookupHoldsUpNoOtherNamespace(t *testing.T) {
	other := &prot.LCOWNetworkAdapter{NamespaceID: "other-ns", ID: "a", DNSServerList: "192.0.2.10"}
	tests := []struct {
		name  string
		setup bool // other is registered first
		op    func(ctx context.Context, m *Manager) error
	}{
		{name: "DNS", setup: true, op: func(_ context.Context, m *Manager) error {
			if servers, _ := m.DNS("other-ns"); !slices.Equal(servers, []string{"192.0.2.10"}) {
				return fmt.Errorf("DNS servers %q", servers)
			}
			return nil
		}},
		{name: "DNS of unknown", op: func(_ context.Context, m *Manager) error { m.DNS("unknown-ns"); return nil }},
		{name: "Detach", setup: true, op: func(ctx context.Context, m *Manager) error { return m.Detach(ctx, "other-ns") }},
		{name: "Detach of unknown", op: func(ctx context.Context, m *Manager) error {
			if err := m.Detach(ctx, "unknown-ns"); !errors.Is(err, ErrNamespaceNotFound) {
				return fmt.Errorf("Detach: %w; want ErrNamespaceNotFound", err)
			}
			return nil
		}},
		{name: "Add", op: func(ctx context.Context, m *Manager) error { return m.AddAdapter(ctx, other) }},
		{name: "Remove", setup: true, op: func(ctx context.Context, m *Manager) error { return m.RemoveAdapter(ctx, "other-ns", "a") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			entered, release := make(chan struct{}, 1), make(chan struct{})
			m := New(Options{Log: testutil.Logger(t), Lookup: blockingLookup("ghost", entered, release)})
			if tt.setup {
				if err := m.AddAdapter(ctx, other); err != nil {
					t.Fatal(err)
				}
			}
			slow := startSlowAdd(m, "hostile-ns", entered)
			defer func() { close(release); <-slow }()
			done := make(chan error, 1)
			go func() { done <- tt.op(ctx, m) }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(heldUpBound):
				t.Fatalf("%s (another namespace) still waiting after %v for an Add's lookup", tt.name, heldUpBound)
			}
		})
	}
}

// TestSlowLookupKeepsOrderInItsNamespace: calls for the namespace of an
// Add that waits for its link wait for it in turn and see it done: a
// second Add of the same id is a duplicate, a Remove of it removes it.
func TestSlowLookupKeepsOrderInItsNamespace(t *testing.T) {
	ctx := context.Background()
	entered, release := make(chan struct{}, 1), make(chan struct{})
	// The first lookup waits for release, then every lookup finds its link.
	m := New(Options{Log: testutil.Logger(t), Lookup: LookupFunc(func(ctx context.Context, a *prot.LCOWNetworkAdapter) (netlink.Link, error) {
		select {
		case entered <- struct{}{}:
			<-release
		default:
		}
		return anyLookup().Find(ctx, a)
	})})
	slow := startSlowAdd(m, "ns", entered)
	dup, removed := make(chan error, 1), make(chan error, 1)
	go func() { dup <- m.AddAdapter(ctx, &prot.LCOWNetworkAdapter{NamespaceID: "NS", ID: "GHOST"}) }()
	go func() {
		time.Sleep(10 * time.Millisecond) // after the duplicate Add, most likely
		removed <- m.RemoveAdapter(ctx, "ns", "ghost")
	}()
	// Neither may end while the first Add has not: a wrong answer comes at
	// once, so this short wait catches it and cannot fail a right one.
	select {
	case err := <-dup:
		t.Fatalf("second Add of the id returned before the first ended: %v", err)
	case err := <-removed:
		t.Fatalf("Remove of the id returned before its Add ended: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-slow; err != nil {
		t.Fatalf("slow Add: %v", err)
	}
	if err := <-removed; err != nil {
		t.Fatalf("Remove sent during the slow Add: %v", err)
	}
	if err := <-dup; err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatalf("second Add of the id: %v; want os.ErrExist, or success after the Remove", err)
	}
}
