//go:build linux

// Command init is pid 1 of the test VM image (make image): it prepares the
// machine the way a utility VM's init does, starts the GCS dialing the host
// over vsock loopback, and then either runs the in-guest tests
// (gcs.mode=test on the kernel command line) or gives a person a shell
// (gcs.mode=shell).
//
// Stage 1 runs on the initramfs, which runc cannot pivot_root away from: it
// moves every file into a tmpfs, makes that the root and executes itself
// again. Stage 2 mounts the kernel file systems and cgroup2, loads the
// kernel modules listed in /etc/vm/modules.list, starts gcs and runs the
// mode.
//
// Nothing is restarted silently: when gcs exits, init says so on the
// console and powers the VM off. Lines starting with "VMTEST-" are read by
// the host-side runner (test/vm/vmrun).
package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	stageEnv   = "GCS_VM_STAGE"
	modulesTxt = "/etc/vm/modules.list"
	newRoot    = "/newroot"
	// gcsLogTTY carries the GCS's log to a file on the host in test mode.
	gcsLogTTY = "/dev/ttyS1"
	// controlTTY is the line-based channel to the host-side runner (disk
	// hot-plug requests); the driver tests use it.
	controlTTY = "/dev/ttyS2"
	// shellGCSLog is where the GCS logs in shell mode.
	shellGCSLog = "/var/log/gcs.log"
)

// gcsArgs is how the image runs the GCS: dialing the "host" (the in-guest
// driver or gcsctl --listen) over vsock loopback, as it dials CID 2 in a
// real utility VM.
var gcsArgs = []string{
	"/usr/bin/gcs", "-v4", "-loglevel", "debug",
	"-bridge", "vsock://1:1073741824", "-relay", "vsock://1",
	"-runtime", "runc", "-root", "/run/gcs", "-shutdown-action", "poweroff",
}

var guestEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"TERM=vt100",
	"GCS_VM=1", // the driver tests skip without it
	"GCS_VM_CONTROL=" + controlTTY,
	"GCS_VM_BRIDGE=vsock://1:1073741824",
	"GCS_VM_RELAY=vsock://1",
}

func main() {
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "init: this is the test VM's init; it only runs as pid 1")
		os.Exit(2)
	}
	if os.Getenv(stageEnv) != "2" {
		if err := stage1(); err != nil {
			fatal("stage 1: %v", err)
		}
		return // not reached: stage1 executes stage 2
	}
	stage2()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stdout, "vm-init: "+format+"\n", args...)
}

// fatal reports a failure the init cannot go on from and powers off.
func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stdout, "VMTEST-INIT-FAIL "+format+"\n", args...)
	powerOff()
}

func powerOff() {
	fmt.Fprintln(os.Stdout, "VMTEST-INIT-POWEROFF")
	unix.Sync()
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		fmt.Fprintf(os.Stdout, "vm-init: power off: %v\n", err)
	}
	select {} // pid 1 must not exit
}

// params are the gcs.* settings of the kernel command line.
type params struct {
	mode string // "test" or "shell"
	run  string // -test.run for the driver tests
}

func readParams() params {
	p := params{mode: "shell"}
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		logf("read /proc/cmdline: %v", err)
		return p
	}
	for _, f := range strings.Fields(string(b)) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "gcs.mode":
			p.mode = v
		case "gcs.run":
			p.run = v
		}
	}
	return p
}

func uptime() string {
	b, _ := os.ReadFile("/proc/uptime")
	return strings.Fields(string(b) + " ?")[0]
}

func stage2() {
	for _, m := range mounts {
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			fatal("mkdir %s: %v", m.target, err)
		}
		if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil {
			fatal("mount %s on %s: %v", m.fstype, m.target, err)
		}
	}
	atStage2 := uptime() // the kernel's boot and stage 1
	for _, l := range [][2]string{{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"}} {
		os.Symlink(l[0], l[1])
	}
	if err := enableControllers(); err != nil {
		fatal("cgroup controllers: %v", err)
	}
	if err := unix.Sethostname([]byte("gcs-vm")); err != nil {
		logf("sethostname: %v", err)
	}
	if err := loopbackUp(); err != nil {
		logf("bring lo up: %v", err)
	}
	r := newReaper()
	handlePowerSignals()
	modStart := time.Now()
	failed := loadModules()
	p := readParams()
	fmt.Printf("VMTEST-BOOTED mode=%s uptime=%s stage2-at=%s modules=%.2fs modules-failed=%d\n",
		p.mode, uptime(), atStage2, time.Since(modStart).Seconds(), failed)
	switch p.mode {
	case "test":
		runTests(r, p, failed)
	case "shell":
		runShell(r)
	default:
		fatal("unknown gcs.mode %q (want test or shell)", p.mode)
	}
}
