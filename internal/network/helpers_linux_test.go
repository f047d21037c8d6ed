package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// requireNetAdmin skips the test unless it runs as root, which veth pairs
// and network namespaces need.
func requireNetAdmin(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create veth pairs and network namespaces")
	}
}

// randomHex returns n random bytes in hex.
func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random bytes: %v", err)
	}
	return hex.EncodeToString(b)
}

// testVeth is a veth pair in the root namespace: name plays the host's
// adapter, peer stays behind.
type testVeth struct {
	name, peer string
	mac        net.HardwareAddr
	mtu        int
}

// newVeth creates a veth pair with unique names and a random locally
// administered MAC on the adapter end, with the peer up (so the adapter has
// a carrier, as a NIC would). It is deleted when the test ends, through the
// peer, which never leaves the root namespace.
func newVeth(t *testing.T) testVeth {
	t.Helper()
	suffix := randomHex(t, 5)
	mac, err := net.ParseMAC("02:" + suffix[0:2] + ":" + suffix[2:4] + ":" + suffix[4:6] + ":" + suffix[6:8] + ":" + suffix[8:10])
	if err != nil {
		t.Fatal(err)
	}
	v := testVeth{name: "gt" + suffix, peer: "gp" + suffix, mac: mac, mtu: 1500}
	la := netlink.NewLinkAttrs()
	la.Name, la.HardwareAddr, la.MTU = v.name, v.mac, v.mtu
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: v.peer}); err != nil {
		t.Fatalf("creating veth %s/%s: %v", v.name, v.peer, err)
	}
	t.Cleanup(func() {
		peer, err := netlink.LinkByName(v.peer)
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return
		}
		if err == nil {
			err = netlink.LinkDel(peer)
		}
		if err != nil {
			t.Errorf("deleting veth %s: %v", v.peer, err)
		}
	})
	peer, err := netlink.LinkByName(v.peer)
	if err == nil {
		err = netlink.LinkSetUp(peer)
	}
	if err != nil {
		t.Fatalf("setting %s up: %v", v.peer, err)
	}
	return v
}

// sleepPath finds sleep: on PATH, else busybox's /bin/sleep.
func sleepPath() string {
	if p, err := exec.LookPath("sleep"); err == nil {
		return p
	}
	return "/bin/sleep"
}

// testContainer is a process in a network namespace of its own.
type testContainer struct {
	pid int
	h   *netlink.Handle // bound to the process's namespace
	cmd *exec.Cmd
}

// kill ends the container's process and reaps it; the namespace lives on
// while something holds it open.
func (c testContainer) kill() {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

// newContainer starts a sleeping child in a new network namespace and
// returns it with a netlink handle in that namespace. The child is killed
// and reaped when the test ends.
func newContainer(t *testing.T) testContainer {
	t.Helper()
	cmd := exec.Command(sleepPath(), "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting a process in a new network namespace: %v", err)
	}
	c := testContainer{pid: cmd.Process.Pid, cmd: cmd}
	t.Cleanup(c.kill)
	ns, err := netns.GetFromPid(cmd.Process.Pid)
	if err != nil {
		t.Fatalf("opening the network namespace of pid %d: %v", cmd.Process.Pid, err)
	}
	t.Cleanup(func() { ns.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatalf("netlink handle in pid %d's namespace: %v", cmd.Process.Pid, err)
	}
	t.Cleanup(h.Close)
	c.h = h
	return c
}

// deadPid returns the pid of a process that has exited and been reaped.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(sleepPath(), "0")
	if err := cmd.Run(); err != nil {
		t.Fatalf("running %s: %v", cmd, err)
	}
	return cmd.Process.Pid
}

// newTestManager returns a Manager with the default lookup (by MAC, short
// timeout) logging to the test, whose namespaces are detached when the test
// ends.
func newTestManager(t *testing.T, opts Options, nsIDs ...string) *Manager {
	t.Helper()
	if opts.LookupTimeout == 0 {
		opts.LookupTimeout = 300 * time.Millisecond
	}
	opts.Log = testutil.Logger(t)
	m := New(opts)
	t.Cleanup(func() {
		for _, id := range nsIDs {
			if err := m.Detach(context.Background(), id); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("detaching %s: %v", id, err)
			}
		}
	})
	return m
}

// linkIn returns the link named name seen by h, or nil when there is none.
func linkIn(t *testing.T, h *netlink.Handle, name string) netlink.Link {
	t.Helper()
	l, err := h.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatalf("looking up link %s: %v", name, err)
	}
	return l
}

// rootHandle returns a netlink handle in the test's own (root) namespace.
func rootHandle(t *testing.T) *netlink.Handle {
	t.Helper()
	h, err := netlink.NewHandle()
	if err != nil {
		t.Fatalf("netlink handle: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

// globalAddrs returns the addresses of l seen by h, link-local IPv6 ones
// left out, as sorted prefix strings.
func globalAddrs(t *testing.T, h *netlink.Handle, l netlink.Link) []string {
	t.Helper()
	addrs, err := listAddrs(h, l)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		ip, _ := netip.AddrFromSlice(a.IP)
		if ip.Unmap().IsLinkLocalUnicast() {
			continue
		}
		ones, _ := a.Mask.Size()
		out = append(out, netip.PrefixFrom(ip.Unmap(), ones).String())
	}
	slices.Sort(out)
	return out
}

// checkReturned asserts that v's adapter end is back in the root namespace,
// down, without addresses and with its original MTU, and absent from c.
func checkReturned(t *testing.T, v testVeth, c testContainer) {
	t.Helper()
	if l := linkIn(t, c.h, v.name); l != nil {
		t.Errorf("link %s still in the container's namespace", v.name)
	}
	root := rootHandle(t)
	l := linkIn(t, root, v.name)
	if l == nil {
		t.Fatalf("link %s not back in the root namespace", v.name)
	}
	if l.Attrs().Flags&net.FlagUp != 0 || l.Attrs().RawFlags&unix.IFF_UP != 0 {
		t.Errorf("link %s is up in the root namespace", v.name)
	}
	if l.Attrs().MTU != v.mtu {
		t.Errorf("link %s MTU %d; want %d restored", v.name, l.Attrs().MTU, v.mtu)
	}
	addrs, err := listAddrs(root, l)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 0 {
		t.Errorf("link %s has addresses in the root namespace: %v", v.name, addrs)
	}
}
