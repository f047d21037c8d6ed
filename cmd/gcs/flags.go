package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/daemon"
	"github.com/linux-gcs/gcs/internal/transport"
)

var errHelp = errors.New("help requested")

// errVersion is parseFlags' answer to -version.
var errVersion = errors.New("version requested")

// options holds every flag. The first group are the reference's flags,
// accepted with the same names and defaults so that gcs can replace it in a
// utility-VM image; the second group are this implementation's own.
type options struct {
	v4                  bool
	logLevel            string
	logFile             string
	logFormat           string
	useInOutErr         bool
	disableTimeSync     bool
	rootMemReserveBytes uint64
	gcsMemLimitBytes    uint64
	scrubLogs           bool
	initialPolicyStance string
	coreDumpLocation    string
	kmsgLogLevel        uint

	bridge             string
	listen             bool
	relay              string
	sequential         bool
	maxMessageSize     uint
	root               string
	runtime            string
	runtimeTimeout     time.Duration
	shutdownAction     string
	cgroupParent       string
	cgroupFavorDynMods bool
	sysRoot            string
	devRoot            string
	deviceTimeout      time.Duration
	podsMemEvery       time.Duration
	version            bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("gcs", flag.ContinueOnError)
	fs.SetOutput(stderr)

	fs.BoolVar(&o.v4, "v4", false, "enable the v4 protocol handlers (the host always passes it; without it every request gets E_NOTIMPL)")
	// The reference defaults to debug; the host always passes -loglevel,
	// so the default is only what a person running gcs by hand gets.
	fs.StringVar(&o.logLevel, "loglevel", "info", "log level: panic, fatal, error, warning, info, debug, trace")
	fs.StringVar(&o.logFile, "logfile", "", "write logs to this file, emptied first, instead of standard error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&o.useInOutErr, "use-inouterr", false, "serve the bridge on stdin/stdout (logs stay on stderr); end of input stops the daemon")
	fs.BoolVar(&o.disableTimeSync, "disable-time-sync", false, "do not run chronyd against the hypervisor's PTP clock to keep the VM's time")
	fs.Uint64Var(&o.rootMemReserveBytes, "root-mem-reserve-bytes", 75*1024*1024, "memory kept back from the /pods cgroup for the VM itself")
	fs.Uint64Var(&o.gcsMemLimitBytes, "gcs-mem-limit-bytes", 50*1024*1024, "memory usage of the /gcs cgroup above which a warning is logged; /gcs is not limited (0: no warning)")
	fs.BoolVar(&o.scrubLogs, "scrub-logs", true, "keep environment values and request bodies out of logs (they are never logged, whatever its value)")
	fs.StringVar(&o.initialPolicyStance, "initial-policy-stance", "allow", "security policy before the host sets one: allow (everything) or deny (nothing)")
	fs.StringVar(&o.coreDumpLocation, "core-dump-location", "", "write this to /proc/sys/kernel/core_pattern at start-up (empty: leave it)")
	fs.UintVar(&o.kmsgLogLevel, "kmsgLogLevel", 4, "forward kernel log (/dev/kmsg) records of this priority or more urgent to the log: 0 emergency ... 7 debug")

	fs.StringVar(&o.bridge, "bridge", daemon.DefaultBridgeAddr, "bridge address to dial (or listen on with -listen): vsock://CID:PORT, unix:///PATH, tcp://HOST:PORT")
	fs.BoolVar(&o.listen, "listen", false, "listen on -bridge for the host instead of dialing it")
	fs.StringVar(&o.relay, "relay", daemon.DefaultRelayPrefix, "where relay ports (process stdio, Plan 9 shares) are dialed: vsock://CID, tcp://HOST, unix:///DIR (DIR/PORT.sock)")
	fs.BoolVar(&o.sequential, "sequential", false, "handle requests one at a time (WaitForProcess stays asynchronous)")
	fs.UintVar(&o.maxMessageSize, "max-message-size", bridge.DefaultMaxMessageSize, "largest inbound bridge message in bytes, header included; larger ones drop the connection")
	fs.StringVar(&o.root, "root", "/run/gcs", "state directory (container bundles live in ROOT/c/ID or ROOT/pods/POD/ID; devices and layers are mounted below ROOT/../mounts and ROOT/../layers)")
	fs.StringVar(&o.runtime, "runtime", "runc", "OCI runtime binary (runc or crun)")
	fs.DurationVar(&o.runtimeTimeout, "runtime-timeout", 0, "bound on every runtime invocation, after which it is killed with what it started (0: per command, create 2m, exec/start/delete/update 30s, others 10s)")
	fs.StringVar(&o.shutdownAction, "shutdown-action", "poweroff", "what Shutdown of the utility VM does: poweroff or exit")
	fs.StringVar(&o.cgroupParent, "cgroup-parent", "/", "cgroup under which /gcs, /pods and the containers are made")
	fs.BoolVar(&o.cgroupFavorDynMods, "cgroup-favordynmods", true, "turn on cgroup2's favordynmods option at start-up (Linux 6.0+, kernel-wide, kept): every cgroup migration, one per container create and exec, skips an RCU grace period, at a small cost to fork and exit (not a flag of the reference)")
	fs.StringVar(&o.sysRoot, "sys-root", "/sys", "sysfs root where SCSI, VMBus and PCI devices are looked up (a seam for tests)")
	fs.StringVar(&o.devRoot, "dev-root", "/dev", "directory of the disk and pmemN device nodes (a seam for tests)")
	fs.DurationVar(&o.deviceTimeout, "device-timeout", 10*time.Second, "how long to wait for an attached disk to appear (network adapters: at most 5s)")
	fs.DurationVar(&o.podsMemEvery, "pods-mem-interval", daemon.DefaultPodsMemoryInterval, "how often the /pods memory limit is recomputed from the VM's memory (hot-added memory)")

	fs.BoolVar(&o.version, "version", false, "print the version and exit (not a flag of the reference; a host never passes it)")

	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: gcs [flags]\n\nThe Linux guest compute service: serves the host's bridge protocol.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if o.version {
		return nil, errVersion
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gcs: unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return nil, errors.New("unexpected arguments")
	}
	return o, nil
}

// config turns the flags into the daemon's configuration.
func (o *options) config(stdin io.ReadCloser, stdout io.WriteCloser, log *logrus.Entry) (daemon.Config, error) {
	cfg := daemon.Config{
		Listen:         o.listen,
		V4:             o.v4,
		Sequential:     o.sequential,
		MaxMessageSize: uint32(min(o.maxMessageSize, 1<<31)),
		Log:            log,
	}
	if o.maxMessageSize < 16 {
		return cfg, fmt.Errorf("-max-message-size %d is smaller than a message header", o.maxMessageSize)
	}
	switch o.shutdownAction {
	case "poweroff", "exit":
	default:
		return cfg, fmt.Errorf("-shutdown-action %q: want poweroff or exit", o.shutdownAction)
	}
	switch o.initialPolicyStance {
	case "allow":
	case "deny":
		cfg.DenyBeforePolicy = true
	default:
		return cfg, fmt.Errorf("-initial-policy-stance %q: want allow or deny", o.initialPolicyStance)
	}
	switch o.logFormat {
	case "text", "json":
	default:
		return cfg, fmt.Errorf("-log-format %q: want text or json", o.logFormat)
	}
	if o.useInOutErr {
		if o.listen {
			return cfg, errors.New("-use-inouterr and -listen cannot be combined")
		}
		cfg.Stdin, cfg.Stdout = stdin, stdout
	} else {
		a, err := transport.ParseAddr(o.bridge)
		if err != nil {
			return cfg, fmt.Errorf("-bridge: %w", err)
		}
		if a.Network == transport.NetworkStdio {
			return cfg, errors.New("-bridge: stdio can be neither dialed nor listened on; use -use-inouterr")
		}
		cfg.Bridge = a
	}
	relay, err := transport.ParseRelay(o.relay)
	if err != nil {
		return cfg, fmt.Errorf("-relay: %w", err)
	}
	cfg.Relay = relay
	return cfg, nil
}
