package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// passing is the console of a run where everything passed (abridged).
const passing = `vm-init: module crc32c-intel.ko: no such device (not for this CPU; skipped)
VMTEST-BOOTED mode=test uptime=5.9 stage2-at=3.1 modules=2.7s modules-failed=0
VMTEST-RESULT modules rc=0
VMTEST-RUN guest
=== RUN   TestNegotiate
--- PASS: TestNegotiate (0.10s)
=== RUN   TestVPMemDevice
    devices_test.go:140: not implemented by the GCS yet: VPMemDevice Add: not supported yet
--- SKIP: TestVPMemDevice (0.01s)
PASS
VMTEST-RESULT guest rc=0 elapsed=11.1s
VMTEST-RUN pkg/internal_storage_scsi
--- PASS: TestMount (1.00s)
    --- PASS: TestMount/ext4 (0.50s)
PASS
VMTEST-RESULT pkg/internal_storage_scsi rc=0 elapsed=7.3s
VMTEST-RUN shutdown
=== RUN   TestShutdownPowersOffVM
VMTEST-SHUTDOWN-REQUESTED
[   17.9] reboot: Power down`

func judge(t *testing.T, console string, waitErr error, timedOut bool) (*verdict, []string) {
	t.Helper()
	v := newVerdict()
	for _, l := range strings.Split(console, "\n") {
		v.line(l, time.Second)
	}
	return v, v.problems(time.Minute, waitErr, timedOut)
}

func TestVerdict(t *testing.T) {
	v, p := judge(t, passing, nil, false)
	if len(p) != 0 {
		t.Fatalf("a passing run has problems: %q", p)
	}
	if len(v.tests) != 4 || v.tests[1].status != "SKIP" || !strings.Contains(v.tests[1].reason, "not implemented by the GCS yet") {
		t.Errorf("tests %+v", v.tests)
	}

	for _, tc := range []struct {
		name     string
		console  string
		waitErr  error
		timedOut bool
		want     string
	}{
		{"failed step", strings.Replace(passing, "guest rc=0", "guest rc=1", 1), nil, false, "step guest failed"},
		{"failed module", strings.Replace(passing, "modules rc=0", "modules rc=2", 1), nil, false, "step modules failed"},
		{"no power-off by the GCS", strings.Replace(passing, "[   17.9] reboot: Power down",
			"VMTEST-RESULT shutdown rc=1\nVMTEST-DONE rc=1\nVMTEST-INIT-POWEROFF\nreboot: Power down", 1), nil, false, "not powered off by the GCS"},
		{"never requested", strings.Replace(passing, "VMTEST-SHUTDOWN-REQUESTED\n", "", 1), nil, false, "never sent the Shutdown request"},
		{"panic", strings.Replace(passing, "VMTEST-RUN shutdown", "[ 9.1] Kernel panic - not syncing: Attempted to kill init!", 1), nil, false, "kernel panicked"},
		{"gcs exited", strings.Replace(passing, "VMTEST-RUN shutdown", "VMTEST-GCS-EXITED exit status 2 (during shutdown)\nVMTEST-DONE rc=1\nVMTEST-INIT-POWEROFF", 1), nil, false, "GCS exited"},
		{"hang", strings.Split(passing, "VMTEST-RESULT guest")[0], errors.New("signal: terminated"), true, "the VM hung"},
		{"no boot", "SeaBIOS", nil, false, "never reached"},
		{"qemu failed", passing, errors.New("exit status 1"), false, "qemu: exit status 1"},
	} {
		_, p := judge(t, tc.console, tc.waitErr, tc.timedOut)
		if !strings.Contains(strings.Join(p, "\n"), tc.want) {
			t.Errorf("%s: problems %q, want one about %q", tc.name, p, tc.want)
		}
	}
}
