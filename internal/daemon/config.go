package daemon

import (
	"io"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/transport"
)

// DefaultBridgeAddr is where the reference GCS dials its host: vsock CID 2,
// port 0x40000000.
const DefaultBridgeAddr = "vsock://2:1073741824"

// DefaultRelayPrefix dials relay ports on the host's vsock CID.
const DefaultRelayPrefix = "vsock://2"

// DefaultPodsMemoryInterval is how often the pods memory limit is
// recomputed, as the reference.
const DefaultPodsMemoryInterval = time.Minute

// Config is everything the daemon needs, already parsed.
type Config struct {
	// Bridge is the bridge address: dialed, or listened on when Listen.
	Bridge transport.Addr
	// Listen makes the daemon accept host connections on Bridge, one at a
	// time, instead of dialing it.
	Listen bool
	// Stdin and Stdout, when set, carry the bridge instead of Bridge
	// (the -use-inouterr mode); end of input ends the daemon.
	Stdin  io.ReadCloser
	Stdout io.WriteCloser
	// LogOutput is where the daemon's log goes while the security policy
	// allows logging; nil: wherever Log writes at start.
	LogOutput io.Writer
	// Relay dials the host's relay ports (process stdio, Plan 9 shares).
	Relay transport.RelayDialer
	// V4 enables the protocol handlers; without it every request gets
	// E_NOTIMPL, as with the reference.
	V4 bool
	// Sequential handles requests one at a time (WaitForProcess excepted).
	Sequential bool
	// MaxMessageSize bounds inbound messages (0: the bridge default).
	MaxMessageSize uint32
	// Root is the state directory: bundles in Root/c/<id>, the OCI
	// runtime's state in Root/runtime.
	Root string
	// Runtime is the OCI runtime binary (runc or crun).
	Runtime string
	// RuntimeTimeout, if positive, bounds every runtime invocation;
	// zero keeps runtime.DefaultTimeout's per-command bounds.
	RuntimeTimeout time.Duration
	// DenyBeforePolicy refuses every guest operation until the host sets a
	// security policy (-initial-policy-stance deny: the closed door).
	DenyBeforePolicy bool
	// ShutdownAction is what Shutdown of the utility VM does: "poweroff"
	// or "exit".
	ShutdownAction string
	// CgroupParent is the cgroup under which gcs, pods and the containers
	// live.
	CgroupParent string
	// CgroupFavorDynMods turns on cgroup2's favordynmods at start-up, so
	// that cgroup migrations skip an RCU grace period (see
	// cgroup.Options.FavorDynMods).
	CgroupFavorDynMods bool
	// GCSMemoryThreshold is the memory usage of the gcs cgroup above which
	// a warning is logged (the cgroup is not limited); zero watches nothing.
	GCSMemoryThreshold int64
	// RootMemoryReserve is kept back from the pods cgroup's memory limit.
	RootMemoryReserve int64
	// PodsMemoryInterval is how often the pods memory limit is recomputed
	// from the VM's memory, which grows when memory is hot-added; zero
	// means DefaultPodsMemoryInterval.
	PodsMemoryInterval time.Duration
	// Kmsg is the kernel log forwarded to Log (records at or below
	// KmsgLevel); empty forwards nothing.
	Kmsg      string
	KmsgLevel uint8
	// TimeSync runs chronyd against the hypervisor's PTP clock (looked up
	// under SysRoot and DevRoot) when the VM has one.
	TimeSync bool
	// SysRoot and DevRoot are where devices are looked up (sysfs and
	// device nodes); DeviceTimeout bounds the wait for a disk to appear.
	SysRoot       string
	DevRoot       string
	DeviceTimeout time.Duration
	// Log receives the daemon's logs.
	Log *logrus.Entry
}
