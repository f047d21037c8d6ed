package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// ErrAdapterNotFound is wrapped by errors about an adapter that is not
// there: no link in the utility VM's root namespace matches the adapter's
// MAC address or VMBus instance id, or RemoveAdapter names an adapter id
// that is not registered in the namespace.
var ErrAdapterNotFound = errors.New("network adapter not found")

// ErrNamespaceNotFound is wrapped by errors about a namespace id that the
// Manager does not know (it wraps os.ErrNotExist, so callers may test for
// either).
var ErrNamespaceNotFound = fmt.Errorf("network namespace not found: %w", os.ErrNotExist)

// ErrLinkNotVerified is wrapped by errors about a link, in a container's
// namespace, that should be an adapter the Manager moved there but is not
// proven to be: the link at the adapter's index lacks the identity the
// adapter had in the root namespace (its kind, permanent address, parent
// device, or for a veth its peer in the root namespace), which a container
// cannot forge. The Manager then leaves the link where it is rather than
// take a link the container made into the utility VM's root namespace.
var ErrLinkNotVerified = errors.New("link is not the network adapter moved there")

// DefaultLookupTimeout is how long the default lookup waits for an adapter
// to appear in the root namespace when Options.LookupTimeout is zero: the
// host may send the Network request before the hot-added NIC has shown up.
const DefaultLookupTimeout = 5 * time.Second

// AdapterLookup finds the link of an adapter in the utility VM's root
// network namespace.
type AdapterLookup interface {
	// Find returns the adapter's link in the root namespace, or an error
	// wrapping ErrAdapterNotFound when there is none.
	Find(ctx context.Context, a *prot.LCOWNetworkAdapter) (netlink.Link, error)
}

// LookupFunc adapts a function to AdapterLookup.
type LookupFunc func(ctx context.Context, a *prot.LCOWNetworkAdapter) (netlink.Link, error)

// Find calls f.
func (f LookupFunc) Find(ctx context.Context, a *prot.LCOWNetworkAdapter) (netlink.Link, error) {
	return f(ctx, a)
}

// Options configures a Manager.
type Options struct {
	// Lookup finds an adapter in the utility VM's root namespace. Nil means
	// the default: by MacAddress ("00-15-5D-11-22-33" or
	// "00:15:5d:11:22:33"; a link enslaved to another, such as the VF of
	// an accelerated adapter, is passed over), else by VMBus instance id
	// (<SysRoot>/bus/vmbus/devices/<ID>/net/<ifname>, or below its pci*
	// directory for VPCIAssigned adapters) when SysRoot has a VMBus,
	// polling until LookupTimeout has passed.
	Lookup AdapterLookup
	// SysRoot is where sysfs is mounted; empty means "/sys".
	SysRoot string
	// LookupTimeout bounds the default lookup's wait; zero means
	// DefaultLookupTimeout.
	LookupTimeout time.Duration
	// Log receives the Manager's log lines; nil means logrus's standard
	// logger.
	Log *logrus.Entry
}

// Manager tracks network namespaces by the host's namespace id (a GUID,
// matched case-insensitively) and the adapters registered in each. Its
// methods are safe for concurrent use. They are serialised per namespace
// id, and an operation holds up no other namespace while it works: an
// AddAdapter waiting (up to LookupTimeout) for a link that the host named
// but that is not there delays only the calls for its own namespace, which
// then see it done, as when one lock served all.
type Manager struct {
	lookup AdapterLookup
	log    *logrus.Entry

	mu         sync.Mutex // guards namespaces only; never held while waiting for a namespace's mu
	namespaces map[string]*namespace
}

// namespace is one host namespace id. Its fields other than id are
// guarded by mu, which is held across the adapter lookups and the netlink
// work done for the namespace.
type namespace struct {
	id       string
	mu       sync.Mutex
	gone     bool     // forgotten by the Manager: a fresh namespace replaces it
	pid      int      // the attached container's init pid; 0 when detached
	file     *os.File // the container's network namespace while attached
	adapters []*adapter
}

// attached reports whether a container's namespace is attached.
func (n *namespace) attached() bool { return n.file != nil }

// adapter is one registered adapter.
type adapter struct {
	spec  prot.LCOWNetworkAdapter // as sent, with lower-cased ids
	cfg   *config
	moved *movedLink // nil while the link is in the root namespace
}

// movedLink records what is needed to give a link back to the root
// namespace.
type movedLink struct {
	index int          // ifindex inside the container's namespace
	name  string       // name in the root namespace, kept in the container's
	mtu   int          // MTU before the move
	id    linkIdentity // what the link at index must be to be taken back
}

// New returns a Manager with no namespaces.
func New(opts Options) *Manager {
	log := opts.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	lookup := opts.Lookup
	if lookup == nil {
		sysRoot := opts.SysRoot
		if sysRoot == "" {
			sysRoot = "/sys"
		}
		timeout := opts.LookupTimeout
		if timeout <= 0 {
			timeout = DefaultLookupTimeout
		}
		lookup = defaultLookup{sysRoot: sysRoot, timeout: timeout, log: log}
	}
	return &Manager{lookup: lookup, log: log, namespaces: map[string]*namespace{}}
}

// normID canonicalises a namespace or adapter id for matching.
func normID(id string) string {
	return strings.ToLower(strings.TrimSpace(id))
}

// AddAdapter registers a under a.NamespaceID (matched case-insensitively).
// An adapter with the same ID already in that namespace is an error
// wrapping os.ErrExist. The adapter's link must be found (Options.Lookup,
// which waits for it a while): one that is not is refused with an error
// wrapping ErrAdapterNotFound. If a container is attached to the namespace, the
// adapter is moved into the container's namespace and configured now, and
// on failure it is back in the root namespace and not registered. Invalid
// settings are refused before anything is touched, with an error wrapping
// ErrInvalidConfig; a link that cannot be found gives one wrapping
// ErrAdapterNotFound. See the package documentation for how the adapter is
// configured.
func (m *Manager) AddAdapter(ctx context.Context, a *prot.LCOWNetworkAdapter) error {
	cfg, err := parseConfig(a)
	if err != nil {
		return fmt.Errorf("adding network adapter: %w", err)
	}
	spec := *a
	spec.NamespaceID, spec.ID = normID(a.NamespaceID), normID(a.ID)
	log := m.log.WithContext(ctx).WithFields(logrus.Fields{"namespace": spec.NamespaceID, "adapter": spec.ID})
	if spec.PolicyBasedRouting {
		log.Warn("policy-based routing is not supported: the adapter's routes go to the main table")
	}

	// The namespace stays locked across the lookup, so that a Remove or a
	// second Add of the same id sent meanwhile sees this one done.
	ns := m.lockNamespace(spec.NamespaceID, true)
	defer m.unlockNamespace(ns)
	if slices.ContainsFunc(ns.adapters, func(x *adapter) bool { return x.spec.ID == spec.ID }) {
		return fmt.Errorf("adding network adapter %s to namespace %s: already present: %w", spec.ID, spec.NamespaceID, os.ErrExist)
	}
	ad := &adapter{spec: spec, cfg: cfg}
	if !ns.attached() {
		// As the reference: an adapter that cannot be found now is refused
		// now, not when a container is created with it.
		if _, err := m.lookup.Find(ctx, a); err != nil {
			return fmt.Errorf("failed to find adapter %s: %w", spec.ID, err)
		}
	} else if err := m.place(ctx, ns, ad); err != nil {
		return fmt.Errorf("adding network adapter %s to namespace %s: %w", spec.ID, spec.NamespaceID, err)
	}
	ns.adapters = append(ns.adapters, ad)
	log.WithField("attached", ns.attached()).Info("network adapter registered")
	return nil
}

// RemoveAdapter removes adapter adapterID from namespace nsID. If it is in a
// container's namespace it is first taken back to the root namespace: down,
// addresses flushed, its original name and MTU restored. An unknown
// namespace gives an error wrapping ErrNamespaceNotFound (and so
// os.ErrNotExist), an unknown adapter one wrapping ErrAdapterNotFound; the
// host's Remove always succeeds in the reference, so callers usually ignore
// both. If the link cannot be taken out of the container's namespace the
// adapter stays registered and the error is returned; if it reached the
// root namespace but could not be fully reset, it is forgotten all the same
// and the error is returned.
func (m *Manager) RemoveAdapter(ctx context.Context, nsID, adapterID string) error {
	nsID, adapterID = normID(nsID), normID(adapterID)
	ns := m.lockNamespace(nsID, false)
	if ns == nil {
		return fmt.Errorf("removing network adapter %s from namespace %s: %w", adapterID, nsID, ErrNamespaceNotFound)
	}
	defer m.unlockNamespace(ns)
	i := slices.IndexFunc(ns.adapters, func(x *adapter) bool { return x.spec.ID == adapterID })
	if i < 0 {
		return fmt.Errorf("removing network adapter %s from namespace %s: %w", adapterID, nsID, ErrAdapterNotFound)
	}
	var err error
	if ad := ns.adapters[i]; ad.moved != nil {
		err = m.unplace(ctx, ns, ad)
		if ad.moved != nil {
			return fmt.Errorf("removing network adapter %s from namespace %s: %w", adapterID, nsID, err)
		}
	}
	ns.adapters = slices.Delete(ns.adapters, i, i+1)
	m.log.WithContext(ctx).WithFields(logrus.Fields{"namespace": nsID, "adapter": adapterID}).Info("network adapter removed")
	if err != nil {
		return fmt.Errorf("removing network adapter %s from namespace %s: %w", adapterID, nsID, err)
	}
	return nil
}

// Attach binds namespace nsID to the network namespace of process pid, a
// container's init, and moves every adapter registered for nsID into it
// and configures it. The namespace id need not have adapters yet; those
// added later are moved at once. Attaching again to the same pid does
// nothing; to another pid while attached is an error. A pid that does not
// exist gives an error wrapping os.ErrNotExist, and a pid in the root
// network namespace is refused. If any adapter fails, those already moved
// are taken back and the namespace stays detached.
func (m *Manager) Attach(ctx context.Context, nsID string, pid int) error {
	nsID = normID(nsID)
	if nsID == "" || pid <= 0 {
		return fmt.Errorf("attaching network namespace %q to pid %d: %w", nsID, pid, ErrInvalidConfig)
	}
	log := m.log.WithContext(ctx).WithFields(logrus.Fields{"namespace": nsID, "pid": pid})

	ns := m.lockNamespace(nsID, true)
	defer m.unlockNamespace(ns)
	if ns.attached() {
		if ns.pid == pid {
			return nil
		}
		return fmt.Errorf("attaching network namespace %s to pid %d: already attached to pid %d", nsID, pid, ns.pid)
	}
	f, err := openNetNS(pid)
	if err != nil {
		return fmt.Errorf("attaching network namespace %s to pid %d: %w", nsID, pid, err)
	}
	ns.file, ns.pid = f, pid
	for i, ad := range ns.adapters {
		if err := m.place(ctx, ns, ad); err != nil {
			for _, done := range slices.Backward(ns.adapters[:i]) {
				if uerr := m.unplace(ctx, ns, done); uerr != nil {
					log.WithError(uerr).WithField("adapter", done.spec.ID).Error("rolling back network adapter")
				}
			}
			ns.file, ns.pid = nil, 0
			f.Close()
			return fmt.Errorf("attaching network namespace %s to pid %d: adapter %s: %w", nsID, pid, ad.spec.ID, err)
		}
	}
	log.WithField("adapters", len(ns.adapters)).Info("network namespace attached")
	return nil
}

// Detach unbinds namespace nsID from its container, which is gone or going:
// its adapters return to the root namespace as in RemoveAdapter but stay
// registered, to be moved again by a later Attach. The namespace is
// detached even when some adapter cannot be taken back (its error is
// returned; a physical device then returns to the root namespace by itself
// when the container's namespace is destroyed). An unknown namespace gives
// an error wrapping ErrNamespaceNotFound (and so os.ErrNotExist); one known
// but not attached is not an error.
func (m *Manager) Detach(ctx context.Context, nsID string) error {
	nsID = normID(nsID)
	ns := m.lockNamespace(nsID, false)
	if ns == nil {
		return fmt.Errorf("detaching network namespace %s: %w", nsID, ErrNamespaceNotFound)
	}
	defer m.unlockNamespace(ns)
	if !ns.attached() {
		return nil
	}
	var errs []error
	for _, ad := range slices.Backward(ns.adapters) {
		if ad.moved == nil {
			continue
		}
		if err := m.unplace(ctx, ns, ad); err != nil {
			errs = append(errs, fmt.Errorf("adapter %s: %w", ad.spec.ID, err))
		}
		ad.moved = nil
	}
	pid := ns.pid
	ns.file.Close()
	ns.file, ns.pid = nil, 0
	m.log.WithContext(ctx).WithFields(logrus.Fields{"namespace": nsID, "pid": pid}).Info("network namespace detached")
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("detaching network namespace %s: %w", nsID, err)
	}
	return nil
}

// lockNamespace returns namespace id with its mu locked, or nil when it is
// unknown and create is false; with create an unknown id gets a new, empty
// namespace (which unlockNamespace forgets again if it stays empty). It
// never holds m.mu while it waits for the namespace, so a slow operation on
// one namespace holds up no other.
func (m *Manager) lockNamespace(id string, create bool) *namespace {
	for {
		m.mu.Lock()
		ns := m.namespaces[id]
		if ns == nil && create {
			ns = &namespace{id: id}
			m.namespaces[id] = ns
		}
		m.mu.Unlock()
		if ns == nil {
			return nil
		}
		ns.mu.Lock()
		if !ns.gone {
			return ns
		}
		// Forgotten while we waited: look the id up again.
		ns.mu.Unlock()
	}
}

// unlockNamespace forgets ns when it has neither adapters nor a container,
// then unlocks it.
func (m *Manager) unlockNamespace(ns *namespace) {
	if len(ns.adapters) == 0 && !ns.attached() {
		m.mu.Lock()
		if m.namespaces[ns.id] == ns {
			delete(m.namespaces, ns.id)
		}
		m.mu.Unlock()
		ns.gone = true
	}
	ns.mu.Unlock()
}

// DNS returns the union, in registration order and without duplicates, of
// the DNS servers (DNSServerList) and search suffixes (DNSSuffix) of the
// adapters registered in namespace nsID, attached or not. Both are nil for
// an unknown namespace.
func (m *Manager) DNS(nsID string) (servers, search []string) {
	ns := m.lockNamespace(normID(nsID), false)
	if ns == nil {
		return nil, nil
	}
	defer m.unlockNamespace(ns)
	seenServers, seenSearch := map[string]struct{}{}, map[string]struct{}{}
	for _, ad := range ns.adapters {
		servers = appendUnique(servers, seenServers, ad.cfg.servers...)
		search = appendUnique(search, seenSearch, ad.cfg.search...)
	}
	return servers, search
}
