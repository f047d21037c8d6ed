package network

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// rootNSPath names the utility VM's root network namespace: the one of the
// GCS's main thread.
const rootNSPath = "/proc/self/ns/net"

// dumpRetries bounds the retries of a netlink dump the kernel interrupted
// because the list changed meanwhile.
const dumpRetries = 5

// openNetNS opens the network namespace of process pid. A process that does
// not exist (or no longer has namespaces, as a zombie) gives an error
// wrapping os.ErrNotExist. The root namespace itself is refused: moving
// adapters "into" it would change nothing and taking them back would
// reset the root's own links.
func openNetNS(pid int) (*os.File, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/ns/net"
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			err = fmt.Errorf("%s: %w", path, os.ErrNotExist)
		}
		return nil, fmt.Errorf("opening network namespace of pid %d: %w", pid, err)
	}
	same, err := sameFile(f, rootNSPath)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("comparing network namespace of pid %d with the root one: %w", pid, err)
	}
	if same {
		f.Close()
		return nil, fmt.Errorf("pid %d is in the root network namespace: %w", pid, ErrInvalidConfig)
	}
	return f, nil
}

// sameFile reports whether f and the file at path are the same inode.
func sameFile(f *os.File, path string) (bool, error) {
	var a, b unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &a); err != nil {
		return false, fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	if err := unix.Stat(path, &b); err != nil {
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	return a.Dev == b.Dev && a.Ino == b.Ino, nil
}

// nsHandles holds netlink handles bound to the root namespace and,
// optionally, to a container's namespace, along with the open root
// namespace file.
type nsHandles struct {
	rootFile  *os.File
	root      *netlink.Handle
	innerFile *os.File        // the container's namespace; not owned, not closed
	inner     *netlink.Handle // nil when no container namespace was given
}

// openHandles opens netlink handles in the root namespace and, when inner
// is not nil, in that namespace. netlink.NewHandleAt creates each socket on
// a thread locked for the purpose and restores its namespace, so the
// caller's goroutine never changes namespace.
func openHandles(inner *os.File) (*nsHandles, error) {
	rf, err := os.Open(rootNSPath)
	if err != nil {
		return nil, fmt.Errorf("opening the root network namespace: %w", err)
	}
	h := &nsHandles{rootFile: rf, innerFile: inner}
	if h.root, err = netlink.NewHandleAt(netns.NsHandle(rf.Fd()), unix.NETLINK_ROUTE); err != nil {
		h.close()
		return nil, fmt.Errorf("opening a netlink handle in the root network namespace: %w", err)
	}
	if inner != nil {
		if h.inner, err = netlink.NewHandleAt(netns.NsHandle(inner.Fd()), unix.NETLINK_ROUTE); err != nil {
			h.close()
			return nil, fmt.Errorf("opening a netlink handle in network namespace %s: %w", inner.Name(), err)
		}
	}
	return h, nil
}

// close releases the handles.
func (h *nsHandles) close() {
	if h.inner != nil {
		h.inner.Close()
	}
	if h.root != nil {
		h.root.Close()
	}
	h.rootFile.Close()
}

// listLinks lists the links seen by h, retrying interrupted dumps.
func listLinks(h *netlink.Handle) ([]netlink.Link, error) {
	var err error
	for range dumpRetries {
		var links []netlink.Link
		if links, err = h.LinkList(); err == nil {
			return links, nil
		} else if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return nil, fmt.Errorf("listing links: %w", err)
}

// listAddrs lists the addresses of link seen by h, retrying interrupted
// dumps.
func listAddrs(h *netlink.Handle, link netlink.Link) ([]netlink.Addr, error) {
	var err error
	for range dumpRetries {
		var addrs []netlink.Addr
		if addrs, err = h.AddrList(link, netlink.FAMILY_ALL); err == nil {
			return addrs, nil
		} else if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return nil, fmt.Errorf("listing addresses of %s: %w", link.Attrs().Name, err)
}
