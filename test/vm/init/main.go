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
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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

// stage1 copies the initramfs into a tmpfs, makes that the root and
// executes /init in it.
func stage1() error {
	if err := os.MkdirAll("/dev", 0o755); err != nil {
		return err
	}
	if err := unix.Mount("devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"); err != nil {
		return fmt.Errorf("mount devtmpfs: %w", err)
	}
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", newRoot, "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("mount tmpfs root: %w", err)
	}
	entries, err := os.ReadDir("/")
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch e.Name() {
		case "dev", "proc", "sys", strings.TrimPrefix(newRoot, "/"):
			if err := os.MkdirAll(filepath.Join(newRoot, e.Name()), 0o755); err != nil {
				return err
			}
			continue
		}
		if err := moveTree("/"+e.Name(), filepath.Join(newRoot, e.Name())); err != nil {
			return err
		}
	}
	if err := unix.Mount("/dev", newRoot+"/dev", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move /dev: %w", err)
	}
	if err := unix.Chdir(newRoot); err != nil {
		return err
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move the new root to /: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	env := append(os.Environ(), stageEnv+"=2")
	return unix.Exec("/init", os.Args, env)
}

// moveTree copies src to dst (files, directories, symlinks) and removes
// each source file once copied, so that the initramfs's memory is freed as
// the copy grows.
func moveTree(src, dst string) error {
	var dirs []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, strings.TrimPrefix(p, src))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, info.Mode().Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			// Mkdir applies the umask; set the mode (and sticky bit) exactly.
			if err := os.Chmod(target, info.Mode()&(fs.ModePerm|fs.ModeSticky)); err != nil {
				return err
			}
			dirs = append(dirs, p)
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(l, target); err != nil {
				return err
			}
		case d.Type().IsRegular():
			if err := copyFile(p, target, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			return nil // no device nodes or fifos in the image
		}
		return os.Remove(p)
	})
	if err != nil {
		return fmt.Errorf("move %s: %w", src, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i])
	}
	return nil
}

func copyFile(src, dst string, perm fs.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, b, perm); err != nil {
		return err
	}
	return os.Chmod(dst, perm)
}

// mountSpec is one mount of stage 2.
type mountSpec struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

var mounts = []mountSpec{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "gid=5,mode=620,ptmxmode=666"},
	{"tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
	{"mqueue", "/dev/mqueue", "mqueue", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
	{"cgroup2", "/sys/fs/cgroup", "cgroup2", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "nsdelegate"},
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

// handlePowerSignals powers off on the signals busybox's halt, poweroff
// and reboot send to pid 1 (and on SIGTERM, which would otherwise make the
// Go runtime exit and the kernel panic).
func handlePowerSignals() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGUSR1, unix.SIGUSR2, unix.SIGINT, unix.SIGPWR)
	go func() {
		s := <-sigs
		logf("got %v; powering off", s)
		powerOff()
	}()
	signal.Ignore(unix.SIGHUP)
}

// enableControllers delegates every controller of the root cgroup to its
// children, as a utility VM's init does for the GCS.
func enableControllers() error {
	b, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range strings.Fields(string(b)) {
		if err := os.WriteFile("/sys/fs/cgroup/cgroup.subtree_control", []byte("+"+c), 0); err != nil {
			errs = append(errs, fmt.Errorf("enable %s: %w", c, err))
		}
	}
	return errors.Join(errs...)
}

func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// loadModules loads the modules of modulesTxt in order (dependencies come
// first) and returns how many failed.
func loadModules() int {
	f, err := os.Open(modulesTxt)
	if err != nil {
		logf("no module list: %v", err)
		return 1
	}
	defer f.Close()
	failed := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		path := strings.TrimSpace(s.Text())
		if path == "" {
			continue
		}
		start := time.Now()
		if err := loadModule(path); err != nil {
			logf("load module %s: %v", path, err)
			failed++
		}
		if d := time.Since(start); d > 250*time.Millisecond {
			logf("module %s took %.2fs", filepath.Base(path), d.Seconds())
		}
	}
	return failed
}

func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), "", 0)
	switch {
	case errors.Is(err, unix.EEXIST):
		return nil
	case errors.Is(err, unix.ENODEV):
		// A CPU-specific implementation (crc32c-intel, aesni, ...) that
		// the emulated CPU lacks; the generic one is loaded as well.
		logf("module %s: %v (not for this CPU; skipped)", filepath.Base(path), err)
		return nil
	}
	return err
}

// reaper is pid 1's wait loop: it reaps every child, its own and orphans,
// and hands the exits of the processes the init started to their waiters.
type reaper struct {
	mu      sync.Mutex
	waiters map[int]chan unix.WaitStatus
}

func newReaper() *reaper {
	r := &reaper{waiters: map[int]chan unix.WaitStatus{}}
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs, unix.SIGCHLD)
	go func() {
		for {
			r.reapAll()
			<-sigs
		}
	}()
	return r
}

func (r *reaper) reapAll() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		r.mu.Lock()
		if ch, ok := r.waiters[pid]; ok {
			ch <- ws
			delete(r.waiters, pid)
		}
		r.mu.Unlock()
	}
}

// proc is a process the init started.
type proc struct {
	pid  int
	exit chan unix.WaitStatus
}

// start runs argv with the given stdio files. Registration happens under
// the reaper's lock, so an exit reaped right after the fork still finds
// its waiter.
func (r *reaper) start(argv []string, dir string, env []string, files []uintptr, sys *syscall.SysProcAttr) (*proc, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Dir: dir, Env: env, Files: files, Sys: sys})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p := &proc{pid: pid, exit: make(chan unix.WaitStatus, 1)}
	r.waiters[pid] = p.exit
	return p, nil
}

func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by signal %v", ws.Signal())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

func exitCode(ws unix.WaitStatus) int {
	if ws.Exited() {
		return ws.ExitStatus()
	}
	return 128 + int(ws.Signal())
}

// startGCS starts the GCS as a direct child of pid 1 (its poweroff guard
// checks that) with its log going to logPath.
func startGCS(r *reaper, logPath string) *proc {
	out, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_NOCTTY, 0o644)
	if err != nil {
		fatal("open the GCS log %s: %v", logPath, err)
	}
	defer out.Close()
	null, err := os.Open("/dev/null")
	if err != nil {
		fatal("open /dev/null: %v", err)
	}
	defer null.Close()
	g, err := r.start(gcsArgs, "/", guestEnv, []uintptr{null.Fd(), out.Fd(), out.Fd()}, &syscall.SysProcAttr{Setsid: true})
	if err != nil {
		fatal("%v", err)
	}
	logf("started gcs (pid %d), log in %s: %s", g.pid, logPath, strings.Join(gcsArgs, " "))
	return g
}

// step is one test binary run by the test mode.
type step struct {
	name string
	argv []string
	dir  string
	env  []string
}

// runTests runs the driver tests, the package tests and finally the
// shutdown check, whose success is the VM powering off under the GCS's
// hand. Results go to the console as VMTEST-RESULT lines.
func runTests(r *reaper, p params, modulesFailed int) {
	fmt.Printf("VMTEST-RESULT modules rc=%d\n", modulesFailed)
	if err := rawTTY(controlTTY); err != nil {
		logf("control channel %s: %v", controlTTY, err)
	}
	logPath := gcsLogTTY
	if _, err := os.Stat(gcsLogTTY); err != nil {
		logPath = shellGCSLog
	}
	g := startGCS(r, logPath)

	driver := []string{"/tests/guest.test", "-test.v", "-test.count=1", "-test.timeout=3m", "-test.skip=^TestShutdown"}
	if p.run != "" {
		driver = append(driver, "-test.run="+p.run)
	}
	steps := []step{{name: "guest", argv: driver, dir: "/tests"}}
	pkgs, _ := filepath.Glob("/tests/pkg/*.test")
	for _, t := range pkgs {
		name := strings.TrimSuffix(filepath.Base(t), ".test")
		dir := filepath.Join("/tests/pkg", name)
		if _, err := os.Stat(dir); err != nil {
			dir = "/tests/pkg"
		}
		steps = append(steps, step{name: "pkg/" + name, argv: []string{t, "-test.v", "-test.count=1", "-test.timeout=2m"}, dir: dir})
	}
	steps = append(steps, step{
		name: "shutdown",
		argv: []string{"/tests/guest.test", "-test.v", "-test.count=1", "-test.timeout=2m", "-test.run=^TestShutdownPowersOffVM$"},
		dir:  "/tests",
		env:  []string{"GCS_VM_SHUTDOWN=1"},
	})
	null, err := os.Open("/dev/null")
	if err != nil {
		fatal("open /dev/null: %v", err)
	}
	failed := 0
	for _, s := range steps {
		fmt.Printf("VMTEST-RUN %s\n", s.name)
		start := time.Now()
		t, err := r.start(s.argv, s.dir, append(append([]string{}, guestEnv...), s.env...), []uintptr{null.Fd(), 1, 2}, &syscall.SysProcAttr{Setpgid: true})
		if err != nil {
			fmt.Printf("VMTEST-RESULT %s rc=127 error=%q\n", s.name, err.Error())
			failed++
			continue
		}
		select {
		case ws := <-t.exit:
			fmt.Printf("VMTEST-RESULT %s rc=%d elapsed=%.1fs\n", s.name, exitCode(ws), time.Since(start).Seconds())
			if exitCode(ws) != 0 {
				failed++
			}
		case ws := <-g.exit:
			fmt.Printf("VMTEST-GCS-EXITED %s (during %s)\n", describe(ws), s.name)
			unix.Kill(-t.pid, unix.SIGKILL)
			fmt.Printf("VMTEST-DONE rc=1\n")
			powerOff()
		}
	}
	// Only reached when the shutdown check did not power the VM off.
	fmt.Printf("VMTEST-DONE rc=1 failed-steps=%d (the VM was not powered off by the GCS)\n", failed)
	powerOff()
}

// rawTTY puts a serial port into raw mode: no echo, no line editing, no
// newline translation, so that it carries lines between the driver and the
// host-side runner unchanged.
func rawTTY(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8 | unix.CLOCAL
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	return unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
}

// runShell starts the GCS in the background and a shell on the serial
// console, and powers off when either ends.
func runShell(r *reaper) {
	if err := rawTTY(controlTTY); err != nil {
		logf("control channel %s: %v", controlTTY, err)
	}
	g := startGCS(r, shellGCSLog)
	tty, err := os.OpenFile("/dev/ttyS0", os.O_RDWR, 0)
	if err != nil {
		fatal("open the console: %v", err)
	}
	fmt.Print(`
  gcs is running and dials vsock://1:1073741824, where gcsctl --listen plays
  the host (GCSCTL_ADDR, GCSCTL_RELAY and GCSCTL_ROOT are set in the profile):
    gcsctl --listen negotiate
    gcsctl --listen stacks
    gcsctl --listen run -t -i /images/busybox sh
  GCS log: ` + shellGCSLog + `; the driver tests: /tests/guest.test -test.v
  Power off with 'poweroff' (or leave the shell); qemu itself: Ctrl-A x.

`)
	sh, err := r.start([]string{"/bin/sh", "-l"}, "/root", guestEnv, []uintptr{tty.Fd(), tty.Fd(), tty.Fd()},
		&syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0})
	tty.Close()
	if err != nil {
		fatal("%v", err)
	}
	select {
	case ws := <-sh.exit:
		logf("the shell ended (%s); powering off", describe(ws))
	case ws := <-g.exit:
		fmt.Printf("VMTEST-GCS-EXITED %s; powering off\n", describe(ws))
	}
	powerOff()
}
