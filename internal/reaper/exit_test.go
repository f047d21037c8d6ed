package reaper

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name         string
		status       unix.WaitStatus
		wantCode     int
		wantSignaled bool
		wantString   string
	}{
		{"exit 0", 0, 0, false, "exit status 0"},
		{"exit 3", 3 << 8, 3, false, "exit status 3"},
		{"exit 255", 255 << 8, 255, false, "exit status 255"},
		{"SIGKILL", unix.WaitStatus(unix.SIGKILL), 137, true, "signal: killed"},
		{"SIGTERM", unix.WaitStatus(unix.SIGTERM), 143, true, "signal: terminated"},
		{"SIGSEGV core", unix.WaitStatus(unix.SIGSEGV) | 0x80, 139, true, "signal: segmentation fault (core dumped)"},
		{"stopped", 0x7f | unix.WaitStatus(unix.SIGSTOP)<<8, -1, false, "exit status -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Exit{Pid: 1, Status: tt.status}
			if got := e.Code(); got != tt.wantCode {
				t.Errorf("Code() = %d, want %d", got, tt.wantCode)
			}
			if got := e.Signaled(); got != tt.wantSignaled {
				t.Errorf("Signaled() = %v, want %v", got, tt.wantSignaled)
			}
			if got := e.String(); got != tt.wantString {
				t.Errorf("String() = %q, want %q", got, tt.wantString)
			}
			if got := (&ExitError{Exit: e}).Error(); got != tt.wantString {
				t.Errorf("ExitError.Error() = %q, want %q", got, tt.wantString)
			}
		})
	}
}
