// Command vmrun boots the test VM image (make image) under qemu and either
// runs the in-guest tests and gives a verdict (make vm-test), or hands the
// serial console to a person (make vm-shell).
//
// The VM gets no network path off this machine and no vsock device: all
// vsock traffic is loopback (CID 1) inside the guest. Its devices are
// those the device tests use: a virtio-scsi controller with disks at LUN
// 3 and LUN 4 (the pod test's scratch; a third disk is hot-added at LUN 5
// through QMP when the guest asks),
// an nvdimm that the guest sees as /dev/pmem0, and a virtio-net NIC on a
// hub that leads nowhere. Serial ports: ttyS0 is the console, ttyS1 the
// GCS's log (a file here), ttyS2 the control channel on which the guest's
// tests ask for hot-plugs.
//
// Usage:
//
//	vmrun -mode test|shell -kernel vmlinux -initrd initrd.img -work DIR [flags]
//	vmrun qmp SOCKET COMMAND-JSON...
//	vmrun pty-test [-timeout DUR] -- COMMAND...   (make vm-shell-test)
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// hotplugLUN is the LUN of the disk the guest may ask to hot-add.
const hotplugLUN = 5

// coldLUN is the LUN of the disk attached at start.
const coldLUN = 3

// scratchLUN is a second disk attached at start, the pod test's scratch
// disk (read-write).
const scratchLUN = 4

// nicMAC is the MAC address of the VM's NIC.
const nicMAC = "52:54:00:12:34:56"

type options struct {
	mode     string
	kernel   string
	initrd   string
	work     string
	timeout  time.Duration
	smp      int
	mem      int
	appendTo string
	qemu     string
	verbose  bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "qmp" {
		os.Exit(qmpCommand(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "pty-test" {
		os.Exit(ptyTestCommand(os.Args[2:]))
	}
	var o options
	flag.StringVar(&o.mode, "mode", "test", "test: run the in-guest tests and give a verdict; shell: interactive serial console")
	flag.StringVar(&o.kernel, "kernel", "", "the kernel (uncompressed vmlinux for a PVH boot)")
	flag.StringVar(&o.initrd, "initrd", "", "the initramfs")
	flag.StringVar(&o.work, "work", "", "directory for this run's disks, sockets and logs (emptied first)")
	flag.DurationVar(&o.timeout, "timeout", 7*time.Minute, "limit for the whole VM run (0: none)")
	flag.IntVar(&o.smp, "smp", 2, "virtual CPUs")
	flag.IntVar(&o.mem, "mem", 1024, "memory in MiB")
	flag.StringVar(&o.appendTo, "append", "", "more kernel command line (e.g. gcs.run=TestNegotiate)")
	flag.StringVar(&o.qemu, "qemu", "qemu-system-x86_64", "qemu binary")
	flag.BoolVar(&o.verbose, "v", false, "print the qemu command line")
	flag.Parse()
	if o.kernel == "" || o.initrd == "" || o.work == "" || (o.mode != "test" && o.mode != "shell") {
		fmt.Fprintln(os.Stderr, "vmrun: -kernel, -initrd, -work and -mode test|shell are required")
		flag.Usage()
		os.Exit(2)
	}
	code, err := run(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmrun: error: %v\n", err)
		if code == 0 {
			code = 2
		}
	}
	os.Exit(code)
}

func say(format string, args ...any) {
	fmt.Printf("vmrun: "+format+"\n", args...)
}

func run(o options) (int, error) {
	for _, f := range []*string{&o.kernel, &o.initrd, &o.work} {
		abs, err := filepath.Abs(*f)
		if err != nil {
			return 2, err
		}
		*f = abs
	}
	for _, f := range []string{o.kernel, o.initrd} {
		if !fileExists(f) {
			return 2, fmt.Errorf("%s does not exist: run make image", f)
		}
	}
	if _, err := exec.LookPath(o.qemu); err != nil {
		return 2, fmt.Errorf("%s not found: run make vm-deps", o.qemu)
	}
	if err := freshWorkDir(o.work); err != nil {
		return 2, err
	}
	if err := makeDisks(o.work); err != nil {
		return 2, err
	}
	// timeout(1) bounds qemu even if this process dies; the runner's own
	// limit below is the one that normally acts.
	argv := []string{}
	if o.timeout > 0 {
		argv = append(argv, "timeout")
		if o.mode == "shell" {
			// Without it timeout puts qemu in a process group of its own,
			// in the terminal's background: reading the terminal or
			// making it raw stops qemu (SIGTTIN/SIGTTOU), a blank screen.
			argv = append(argv, "--foreground")
		}
		argv = append(argv, "--kill-after=10", strconv.Itoa(int(o.timeout.Seconds())+30))
	}
	argv = append(argv, o.qemu)
	argv = append(argv, qemuArgs(o)...)
	if o.verbose {
		say("%s", strings.Join(argv, " "))
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	ctl := &control{work: o.work}
	if o.mode == "shell" {
		logf, err := os.Create(filepath.Join(o.work, "vmrun.log"))
		if err != nil {
			return 2, err
		}
		defer logf.Close()
		ctl.log = logf
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		signal.Ignore(syscall.SIGINT) // ^C belongs to the guest; qemu's mux handles it
		if err := cmd.Start(); err != nil {
			return 2, err
		}
		go ctl.serve()
		return waitShell(cmd, o)
	}
	ctl.log = os.Stdout
	return runTest(cmd, ctl, o)
}
