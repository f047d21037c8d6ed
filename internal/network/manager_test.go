package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

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
