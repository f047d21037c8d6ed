// Command vmrun boots the test VM image (make image) under qemu and either
// runs the in-guest tests and gives a verdict (make vm-test), or hands the
// serial console to a person (make vm-shell).
//
// The VM gets no network path off this machine and no vsock device: all
// vsock traffic is loopback (CID 1) inside the guest. Its devices are
// those the device tests use: a virtio-scsi controller with a disk at LUN
// 3 (a second disk is hot-added at LUN 5 through QMP when the guest asks),
// an nvdimm that the guest sees as /dev/pmem0, and a virtio-net NIC on a
// hub that leads nowhere. Serial ports: ttyS0 is the console, ttyS1 the
// GCS's log (a file here), ttyS2 the control channel on which the guest's
// tests ask for hot-plugs.
//
// Usage:
//
//	vmrun -mode test|shell -kernel vmlinux -initrd initrd.img -work DIR [flags]
//	vmrun qmp SOCKET COMMAND-JSON...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// hotplugLUN is the LUN of the disk the guest may ask to hot-add.
const hotplugLUN = 5

// coldLUN is the LUN of the disk attached at start.
const coldLUN = 3

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

// disk is an ext4 image made for a run, holding hello.txt with
// "gcs-vm NAME\n" so that the guest can tell it mounted the right one.
type disk struct {
	name string
	size string
}

var disks = []disk{
	{fmt.Sprintf("scsi-lun%d", coldLUN), "32M"},
	{fmt.Sprintf("scsi-lun%d", hotplugLUN), "32M"},
	{"pmem0", "128M"}, // nvdimm sizes are best kept to 128 MiB multiples
}

func makeDisks(work string) error {
	mkfs, err := lookSbin("mkfs.ext4")
	if err != nil {
		return err
	}
	for _, d := range disks {
		src := filepath.Join(work, d.name+".content")
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(src, "hello.txt"), []byte("gcs-vm "+d.name+"\n"), 0o644); err != nil {
			return err
		}
		img := filepath.Join(work, d.name+".img")
		out, err := exec.Command(mkfs, "-q", "-F", "-L", d.name, "-d", src, img, d.size).CombinedOutput()
		if err != nil {
			return fmt.Errorf("mkfs.ext4 %s: %v: %s", img, err, out)
		}
		os.RemoveAll(src)
	}
	return nil
}

func lookSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(d, name); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (install e2fsprogs: make vm-deps)", name)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// qemuArgs is the VM. Never a user-mode NIC and never a vsock device:
// nothing in the guest may reach beyond this machine's qemu process.
func qemuArgs(o options) []string {
	cmdline := "console=ttyS0 panic=-1 quiet loglevel=4 gcs.mode=" + o.mode
	if o.appendTo != "" {
		cmdline += " " + o.appendTo
	}
	w := func(name string) string { return filepath.Join(o.work, name) }
	args := []string{
		"-accel", "tcg",
		"-machine", "pc,nvdimm=on",
		"-smp", strconv.Itoa(o.smp),
		"-m", fmt.Sprintf("%d,slots=2,maxmem=%dM", o.mem, o.mem+1024),
		"-nodefaults", "-nic", "none", "-no-reboot",
		"-kernel", o.kernel, "-initrd", o.initrd, "-append", cmdline,
	}
	if o.mode == "shell" {
		args = append(args, "-nographic", "-serial", "mon:stdio")
	} else {
		args = append(args, "-display", "none", "-serial", "stdio")
	}
	args = append(args,
		"-serial", "file:"+w("gcs.log"),
		"-chardev", "socket,id=ctl,path="+w("ctl.sock")+",server=on,wait=off",
		"-serial", "chardev:ctl",
		"-qmp", "unix:"+w("qmp.sock")+",server=on,wait=off",
		"-device", "virtio-scsi-pci,id=scsi0",
		"-blockdev", fmt.Sprintf("driver=raw,node-name=lun%d,file.driver=file,file.filename=%s", coldLUN, w(fmt.Sprintf("scsi-lun%d.img", coldLUN))),
		"-device", fmt.Sprintf("scsi-hd,drive=lun%d,bus=scsi0.0,channel=0,scsi-id=0,lun=%d", coldLUN, coldLUN),
		"-object", "memory-backend-file,id=pmem0,share=on,mem-path="+w("pmem0.img")+",size=128M",
		"-device", "nvdimm,memdev=pmem0,id=nv0",
		"-netdev", "hubport,id=n0,hubid=0",
		"-device", "virtio-net-pci,netdev=n0,romfile=,mac="+nicMAC, // no iPXE ROM: nothing boots from it
	)
	return args
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
		argv = append(argv, "timeout", "--kill-after=10", strconv.Itoa(int(o.timeout.Seconds())+30))
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

// workMarker marks a directory as a run directory that vmrun may empty.
const workMarker = ".vmrun-work"

// freshWorkDir empties dir for a new run; it refuses to touch a non-empty
// directory that an earlier run did not create.
func freshWorkDir(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case len(ents) > 0 && !fileExists(filepath.Join(dir, workMarker)):
		return fmt.Errorf("%s is not empty and not a vmrun work directory; not removing it", dir)
	default:
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, workMarker), nil, 0o644)
}

func waitShell(cmd *exec.Cmd, o options) (int, error) {
	err := cmd.Wait()
	fmt.Println()
	say("the VM is off; logs in %s", o.work)
	if err != nil {
		return 1, fmt.Errorf("qemu: %w", err)
	}
	return 0, nil
}

// runTest boots the VM in test mode, mirrors its console to stdout and
// console.log, serves the control channel and judges the run.
func runTest(cmd *exec.Cmd, ctl *control, o options) (int, error) {
	consoleLog, err := os.Create(filepath.Join(o.work, "console.log"))
	if err != nil {
		return 2, err
	}
	defer consoleLog.Close()
	cmd.Stdin = nil // /dev/null
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 2, err
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 2, err
	}
	go ctl.serve()
	v := newVerdict()
	lines := make(chan string)
	go func() {
		defer close(lines)
		r := bufio.NewReaderSize(stdout, 64*1024)
		for {
			l, err := r.ReadString('\n')
			if l != "" {
				lines <- strings.TrimRight(l, "\r\n")
			}
			if err != nil {
				return
			}
		}
	}()
	var deadline <-chan time.Time
	if o.timeout > 0 {
		t := time.NewTimer(o.timeout)
		defer t.Stop()
		deadline = t.C
	}
	timedOut := false
loop:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break loop
			}
			fmt.Println(l)
			fmt.Fprintln(consoleLog, l)
			v.line(l, time.Since(start))
		case <-deadline:
			timedOut = true
			say("TIMEOUT: the VM did not finish within %v; stopping qemu", o.timeout)
			cmd.Process.Signal(syscall.SIGTERM)
			go func() {
				time.Sleep(10 * time.Second)
				cmd.Process.Kill()
			}()
			deadline = nil
		}
	}
	waitErr := cmd.Wait()
	ctl.close()
	elapsed := time.Since(start)
	ok := v.report(o, waitErr, timedOut, elapsed, ctl)
	if !ok {
		tail(filepath.Join(o.work, "gcs.log"), 80)
		say("logs: %s/console.log, %s/gcs.log", o.work, o.work)
		say("RESULT: FAIL")
		return 1, nil
	}
	say("RESULT: PASS (%s in the VM)", elapsed.Round(100*time.Millisecond))
	return 0, nil
}

func tail(path string, n int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	text := strings.TrimSpace(strings.ReplaceAll(string(b), "\r", ""))
	if text == "" {
		return
	}
	ls := strings.Split(text, "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	say("last %d lines of the GCS log (%s):", len(ls), path)
	for _, l := range ls {
		fmt.Println("  | " + l)
	}
}

// verdict follows the console and decides whether the run passed.
type verdict struct {
	step      string
	booted    string
	results   map[string]int // step -> exit code
	order     []string
	tests     []testResult
	lastLog   string // the last test log line, for the reason of a SKIP or FAIL
	panicked  string
	oops      []string
	gcsExited string
	initFail  []string
	initOff   bool
	shutReq   bool
	powerDown bool
	doneLine  string
}

type testResult struct {
	step, name, status, reason string
}

func newVerdict() *verdict { return &verdict{results: map[string]int{}} }

var (
	reResult = regexp.MustCompile(`^VMTEST-RESULT (\S+) rc=(-?\d+)`)
	reTest   = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+)`)
	reReason = regexp.MustCompile(`^\s+\S+\.go:\d+: (.*)$`)
)

func (v *verdict) line(l string, at time.Duration) {
	// Kernel messages may share a line with test output; look anywhere.
	switch {
	case strings.Contains(l, "Kernel panic - not syncing"):
		v.panicked = l
	case strings.Contains(l, "BUG:") || strings.Contains(l, "Oops:") || strings.Contains(l, "WARNING: CPU:"):
		v.oops = append(v.oops, l)
	case strings.Contains(l, "reboot: Power down"):
		v.powerDown = true
	}
	// go test -v prints a test's log lines before its result line: the
	// last one is the reason of a skip or a failure.
	if m := reTest.FindStringSubmatch(l); m != nil {
		r := testResult{step: v.step, name: m[2], status: m[1]}
		if m[1] != "PASS" {
			r.reason = v.lastLog
		}
		v.tests = append(v.tests, r)
		v.lastLog = ""
		return
	}
	if strings.HasPrefix(l, "=== RUN") {
		v.lastLog = ""
	} else if m := reReason.FindStringSubmatch(l); m != nil {
		v.lastLog = m[1]
	}
	switch {
	case strings.HasPrefix(l, "VMTEST-BOOTED"):
		v.booted = fmt.Sprintf("%s (host %.1fs)", strings.TrimPrefix(l, "VMTEST-BOOTED "), at.Seconds())
	case strings.HasPrefix(l, "VMTEST-RUN "):
		v.step = strings.TrimPrefix(l, "VMTEST-RUN ")
	case strings.HasPrefix(l, "VMTEST-RESULT "):
		if m := reResult.FindStringSubmatch(l); m != nil {
			rc, _ := strconv.Atoi(m[2])
			if _, dup := v.results[m[1]]; !dup {
				v.order = append(v.order, m[1])
			}
			v.results[m[1]] = rc
		}
	case strings.HasPrefix(l, "VMTEST-GCS-EXITED"):
		v.gcsExited = l
	case strings.HasPrefix(l, "VMTEST-INIT-FAIL"):
		v.initFail = append(v.initFail, l)
	case strings.HasPrefix(l, "VMTEST-INIT-POWEROFF"):
		v.initOff = true
	case strings.HasPrefix(l, "VMTEST-SHUTDOWN-REQUESTED"):
		v.shutReq = true
	case strings.HasPrefix(l, "VMTEST-DONE"):
		v.doneLine = l
	}
}

// printSteps lists each step with its test counts: every test of the
// driver (guest), and the tests that did not pass of the package steps.
func (v *verdict) printSteps() {
	for _, step := range v.order {
		var pass, skip, fail int
		var shown []testResult
		for _, t := range v.tests {
			if t.step != step {
				continue
			}
			switch t.status {
			case "PASS":
				pass++
			case "SKIP":
				skip++
			default:
				fail++
			}
			if step == "guest" && !strings.Contains(t.name, "/") || t.status != "PASS" && step != "shutdown" {
				shown = append(shown, t)
			}
		}
		status := "PASS"
		if v.results[step] != 0 {
			status = "FAIL"
		}
		if step == "shutdown" {
			continue // judged below
		}
		counts := ""
		if pass+skip+fail > 0 {
			counts = fmt.Sprintf(": %d passed, %d skipped, %d failed", pass, skip, fail)
		}
		fmt.Printf("  %s %s (exit code %d)%s\n", status, step, v.results[step], counts)
		for _, t := range shown {
			line := fmt.Sprintf("      %-4s %s", t.status, t.name)
			if t.reason != "" {
				line += ": " + t.reason
			}
			fmt.Println(line)
		}
	}
}

// report prints the summary and returns whether everything passed.
func (v *verdict) report(o options, waitErr error, timedOut bool, elapsed time.Duration, ctl *control) bool {
	say("---------------------------------------------------------------")
	say("summary (%s wall clock)", elapsed.Round(100*time.Millisecond))
	if v.booted != "" {
		say("booted: %s", v.booted)
	}
	v.printSteps()
	for _, r := range ctl.requests() {
		say("control: %s", r)
	}
	for _, l := range v.oops {
		say("kernel warning: %s", l)
	}
	problems := v.problems(o.timeout, waitErr, timedOut)
	if v.shutdownPassed(waitErr, timedOut) {
		say("PASS shutdown: Shutdown of the null container powered the VM off; qemu exited")
	}
	pass, skip := 0, 0
	for _, t := range v.tests {
		switch t.status {
		case "PASS":
			pass++
		case "SKIP":
			skip++
		}
	}
	say("%d tests passed, %d skipped", pass, skip)
	for _, p := range problems {
		say("FAIL: %s", p)
	}
	return len(problems) == 0
}

// shutdownPassed is the last check: Shutdown of the null container powered
// the VM off. The init prints a result for the shutdown step, or powers
// off itself, only when that did not happen.
func (v *verdict) shutdownPassed(waitErr error, timedOut bool) bool {
	return v.shutReq && v.powerDown && !v.initOff && waitErr == nil && !timedOut
}

// problems lists why the run failed; none means it passed.
func (v *verdict) problems(timeout time.Duration, waitErr error, timedOut bool) []string {
	var problems []string
	if timedOut {
		problems = append(problems, fmt.Sprintf("the VM hung: no power-off within %v (during step %q)", timeout, v.step))
	}
	if v.panicked != "" {
		problems = append(problems, "the guest kernel panicked: "+v.panicked)
	}
	problems = append(problems, v.initFail...)
	if v.gcsExited != "" {
		problems = append(problems, "the GCS exited unexpectedly: "+v.gcsExited)
	}
	if v.booted == "" && v.panicked == "" {
		problems = append(problems, "the guest never reached its init's test mode")
	}
	for _, s := range v.order {
		if rc := v.results[s]; rc != 0 && s != "shutdown" {
			problems = append(problems, fmt.Sprintf("step %s failed (exit code %d)", s, rc))
		}
	}
	for _, want := range []string{"modules", "guest"} {
		if _, ok := v.results[want]; !ok && v.booted != "" && !timedOut && v.gcsExited == "" {
			problems = append(problems, "step "+want+" never reported a result")
		}
	}
	switch {
	case v.shutdownPassed(waitErr, timedOut):
	case !v.shutReq:
		if len(problems) == 0 { // otherwise the run ended early, for a reason given already
			problems = append(problems, "shutdown: the driver never sent the Shutdown request")
		}
	case !timedOut:
		problems = append(problems, fmt.Sprintf("shutdown: the VM was not powered off by the GCS (kernel power-down seen: %v, init powered off: %v, qemu: %v)", v.powerDown, v.initOff, waitErr))
	}
	if waitErr != nil && !timedOut && v.panicked == "" {
		problems = append(problems, fmt.Sprintf("qemu: %v", waitErr))
	}
	return problems
}

// control serves the guest's requests on the ttyS2 channel: one line per
// request, one line per answer ("ok ..." or "error ...").
type control struct {
	work string
	log  io.Writer

	mu   sync.Mutex
	conn net.Conn
	qmp  *qmpClient
	done []string
}

func (c *control) logf(format string, args ...any) {
	fmt.Fprintf(c.log, "vmrun: control: "+format+"\n", args...)
}

func (c *control) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.done...)
}

func (c *control) serve() {
	path := filepath.Join(c.work, "ctl.sock")
	var conn net.Conn
	var err error
	for i := 0; i < 200; i++ {
		if conn, err = net.Dial("unix", path); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		c.logf("cannot connect to %s: %v", path, err)
		return
	}
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	r := bufio.NewReader(conn)
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return
		}
		req := strings.TrimSpace(strings.TrimRight(l, "\r\n"))
		if req == "" {
			continue
		}
		answer := c.handle(req)
		c.logf("%q -> %q", req, answer)
		c.mu.Lock()
		c.done = append(c.done, fmt.Sprintf("%q -> %q", req, answer))
		c.mu.Unlock()
		if _, err := io.WriteString(conn, answer+"\n"); err != nil {
			return
		}
	}
}

func (c *control) handle(req string) string {
	f := strings.Fields(req)
	switch f[0] {
	case "ping":
		return "ok pong"
	case "hotadd-scsi":
		if len(f) != 2 || f[1] != strconv.Itoa(hotplugLUN) {
			return fmt.Sprintf("error only LUN %d can be hot-added", hotplugLUN)
		}
		if err := c.hotAdd(hotplugLUN); err != nil {
			return "error " + err.Error()
		}
		return "ok"
	}
	return "error unknown request " + strconv.Quote(f[0])
}

// hotAdd attaches the prepared disk at lun through QMP, as HCS adds a SCSI
// disk to a running utility VM.
func (c *control) hotAdd(lun int) error {
	if c.qmp == nil {
		q, err := dialQMP(filepath.Join(c.work, "qmp.sock"))
		if err != nil {
			return err
		}
		c.qmp = q
	}
	node := fmt.Sprintf("hot%d", lun)
	img := filepath.Join(c.work, fmt.Sprintf("scsi-lun%d.img", lun))
	if _, err := c.qmp.execute("blockdev-add", map[string]any{
		"node-name": node, "driver": "raw",
		"file": map[string]any{"driver": "file", "filename": img},
	}); err != nil {
		return err
	}
	_, err := c.qmp.execute("device_add", map[string]any{
		"driver": "scsi-hd", "id": fmt.Sprintf("disk%d", lun), "drive": node,
		"bus": "scsi0.0", "channel": 0, "scsi-id": 0, "lun": lun,
	})
	return err
}

func (c *control) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
	}
	if c.qmp != nil {
		c.qmp.conn.Close()
	}
}

// qmpClient speaks the QEMU Machine Protocol on a unix socket.
type qmpClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialQMP(path string) (*qmpClient, error) {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("qmp: %w", err)
	}
	q := &qmpClient{conn: conn, r: bufio.NewReader(conn)}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := q.r.ReadString('\n'); err != nil { // the greeting
		conn.Close()
		return nil, fmt.Errorf("qmp greeting: %w", err)
	}
	if _, err := q.execute("qmp_capabilities", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return q, nil
}

// execute runs one command and returns its "return" value; events that
// arrive in between are skipped.
func (q *qmpClient) execute(cmd string, args map[string]any) (json.RawMessage, error) {
	req := map[string]any{"execute": cmd}
	if args != nil {
		req["arguments"] = args
	}
	b, _ := json.Marshal(req)
	q.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := q.conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("qmp %s: %w", cmd, err)
	}
	for {
		l, err := q.r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("qmp %s: %w", cmd, err)
		}
		var resp struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Class string `json:"class"`
				Desc  string `json:"desc"`
			} `json:"error"`
			Event string `json:"event"`
		}
		if err := json.Unmarshal([]byte(l), &resp); err != nil {
			return nil, fmt.Errorf("qmp %s: bad reply %q", cmd, l)
		}
		switch {
		case resp.Event != "":
			continue
		case resp.Error != nil:
			return nil, fmt.Errorf("qmp %s: %s: %s", cmd, resp.Error.Class, resp.Error.Desc)
		default:
			return resp.Return, nil
		}
	}
}

// qmpCommand is "vmrun qmp SOCKET JSON...": send commands to a running VM
// (for example from a second terminal while make vm-shell runs).
func qmpCommand(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, `usage: vmrun qmp SOCKET '{"execute":"query-block"}' ...`)
		return 2
	}
	q, err := dialQMP(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmrun:", err)
		return 1
	}
	defer q.conn.Close()
	for _, a := range args[1:] {
		var req struct {
			Execute   string         `json:"execute"`
			Arguments map[string]any `json:"arguments"`
		}
		if err := json.Unmarshal([]byte(a), &req); err != nil || req.Execute == "" {
			fmt.Fprintf(os.Stderr, "vmrun: %q is not a QMP command object\n", a)
			return 2
		}
		ret, err := q.execute(req.Execute, req.Arguments)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vmrun:", err)
			return 1
		}
		fmt.Println(string(ret))
	}
	return 0
}
