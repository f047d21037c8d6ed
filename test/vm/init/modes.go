//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

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
  gcs is running and dials vsock://1:1073741824, where gcsctl listens and
  plays the host (GCSCTL_ADDR, GCSCTL_LISTEN, GCSCTL_RELAY and GCSCTL_ROOT are
  set in the profile):
    gcsctl negotiate
    gcsctl stacks
    gcsctl run -t -i /run/layers/busybox sh
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
