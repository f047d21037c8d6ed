package network

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/sirupsen/logrus"
)

// bridgeMessageBytes is the bridge's default bound on an inbound message
// (bridge.DefaultMaxMessageSize): as much as one hostile Network request
// can carry.
const bridgeMessageBytes = 4 << 20

// distinctList returns a comma-separated list of distinct entries, each
// prefix followed by a number (formatted by format), as long as fits in
// size bytes.
func distinctList(prefix string, size int, format func(int) string) string {
	var b strings.Builder
	for i := 0; b.Len() < size-32; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(prefix + format(i))
	}
	return b.String()
}

// TestHostileDNSListsStayCheap: a host may send DNS lists filling a whole
// bridge message, hundreds of thousands of distinct entries. Registering
// the adapter and deriving the namespace's resolv.conf must stay quick and
// small: the namespace is locked meanwhile, and the container being
// created waits on it. resolv.conf readers use the first 3 nameservers and
// the first 6 search domains (resolv.conf(5)); the reference refuses more
// than 6 search domains.
func TestHostileDNSListsStayCheap(t *testing.T) {
	hex16 := func(i int) string { return strconv.FormatInt(int64(i), 16) }
	tests := []struct {
		name    string
		servers string
		search  string
	}{
		{name: "servers", servers: distinctList("fd00::", bridgeMessageBytes, func(i int) string { return hex16(i/65536) + ":" + hex16(i%65536) })},
		{name: "search", search: distinctList("d", bridgeMessageBytes, strconv.Itoa)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Options{Lookup: anyLookup(), Log: testutil.Logger(t)})
			a := &prot.LCOWNetworkAdapter{NamespaceID: "ns", ID: "a", DNSServerList: tt.servers, DNSSuffix: tt.search}
			type result struct {
				err error
				rc  []byte
			}
			done := make(chan result, 1)
			start := time.Now()
			go func() {
				err := m.AddAdapter(context.Background(), a)
				done <- result{err, ResolvConf(m.DNS("ns"))}
			}()
			select {
			case r := <-done:
				t.Logf("AddAdapter, DNS and ResolvConf took %v, resolv.conf %d bytes", time.Since(start), len(r.rc))
				if !errors.Is(r.err, ErrInvalidConfig) {
					t.Errorf("AddAdapter: %v; want an error wrapping ErrInvalidConfig", r.err)
				}
				if len(r.rc) > 64<<10 {
					t.Errorf("resolv.conf of %d bytes; want it bounded", len(r.rc))
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("AddAdapter, DNS and ResolvConf still running after 10s")
			}
		})
	}
}

// TestDNSUnionOfManyAdaptersIsLinear: within the per-adapter bound, a host
// may still register many adapters in one namespace. Their union must cost
// about one look-up per entry, not a comparison with every entry before
// it.
func TestDNSUnionOfManyAdaptersIsLinear(t *testing.T) {
	const adapters = 2000
	log := testutil.Logger(t)
	log.Logger.SetLevel(logrus.WarnLevel) // 2000 registrations
	m := New(Options{Lookup: anyLookup(), Log: log})
	for i := range adapters {
		var servers []string
		for j := range maxDNSEntries {
			servers = append(servers, "fd00::"+strconv.FormatInt(int64(i), 16)+":"+strconv.FormatInt(int64(j), 16))
		}
		a := &prot.LCOWNetworkAdapter{NamespaceID: "ns", ID: "a" + strconv.Itoa(i), DNSServerList: strings.Join(servers, ",")}
		if err := m.AddAdapter(context.Background(), a); err != nil {
			t.Fatalf("AddAdapter(%s): %v", a.ID, err)
		}
	}
	done := make(chan int, 1)
	start := time.Now()
	go func() {
		servers, _ := m.DNS("ns")
		done <- len(servers)
	}()
	select {
	case n := <-done:
		t.Logf("DNS of %d servers took %v", n, time.Since(start))
		if n != adapters*maxDNSEntries {
			t.Errorf("DNS returned %d servers; want %d", n, adapters*maxDNSEntries)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("DNS of %d adapters still running after 10s", adapters)
	}
}
