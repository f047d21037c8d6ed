package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

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
