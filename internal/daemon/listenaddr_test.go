package daemon

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/transport"
)

// TestListenedAddr: the address logged for a listener is the one a host
// can connect to: the port the kernel chose for tcp port 0, the path as
// given for a unix socket.
func TestListenedAddr(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "bridge.sock")
	for _, tc := range []struct {
		addr string
		want func(got string) bool
	}{
		{"tcp://127.0.0.1:0", func(got string) bool {
			return strings.HasPrefix(got, "tcp://127.0.0.1:") && !strings.HasSuffix(got, ":0")
		}},
		{sock, func(got string) bool { return got == sock }},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			a, ln := listenOn(t, tc.addr)
			got := listenedAddr(a, ln).String()
			if !tc.want(got) {
				t.Errorf("listening on %s: logged %s", tc.addr, got)
			}
			if _, err := transport.ParseAddr(got); err != nil {
				t.Errorf("the logged address does not parse back: %v", err)
			}
		})
	}
}

// listenOn listens on addr, closed after the test.
func listenOn(t *testing.T, addr string) (transport.Addr, net.Listener) {
	t.Helper()
	a, err := transport.ParseAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := transport.Listen(a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return a, ln
}
