package reaper

import (
	"bytes"
	"errors"
	"os/exec"
	"testing"
	"time"
)

func TestOutput(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	tests := []struct {
		name       string
		combined   bool
		script     string
		wantOut    string
		wantCode   int // 0: no error expected
		wantStderr string
	}{
		{"stdout only", false, "echo out; echo err >&2", "out\n", 0, ""},
		{"stderr in ExitError", false, "echo out; echo err >&2; exit 3", "out\n", 3, "err\n"},
		{"combined", true, "echo out; echo err >&2", "out\nerr\n", 0, ""},
		{"combined failing", true, "echo out; echo err >&2; exit 4", "out\nerr\n", 4, ""},
		{"killed", false, "kill -TERM $$", "", 143, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("/bin/sh", "-c", tt.script)
			var out []byte
			var err error
			if tt.combined {
				out, err = r.CombinedOutput(cmd)
			} else {
				out, err = r.Output(cmd)
			}
			if string(out) != tt.wantOut {
				t.Errorf("output = %q, want %q", out, tt.wantOut)
			}
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var xe *ExitError
			if !errors.As(err, &xe) {
				t.Fatalf("error = %v, want *ExitError", err)
			}
			if xe.Code() != tt.wantCode || string(xe.Stderr) != tt.wantStderr {
				t.Errorf("ExitError code %d stderr %q, want %d %q", xe.Code(), xe.Stderr, tt.wantCode, tt.wantStderr)
			}
		})
	}
}

func TestOutputRefusesSetStdout(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	cmd := exec.Command("/bin/true")
	cmd.Stdout = &bytes.Buffer{}
	if _, err := r.Output(cmd); err == nil {
		t.Fatal("Output with Stdout set succeeded")
	}
	if cmd.Process != nil {
		t.Fatal("Output started the command anyway")
	}
}

func TestRunStdinPipe(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	cmd := exec.Command("/bin/cat")
	cmd.Stdin = bytes.NewReader(bytes.Repeat([]byte("x"), 1<<20))
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	e, err := r.Run(cmd)
	if err != nil || e.Code() != 0 {
		t.Fatalf("Run = %s, %v", e, err)
	}
	if out.Len() != 1<<20 {
		t.Fatalf("cat copied %d bytes, want %d (after %v)", out.Len(), 1<<20, time.Since(start))
	}
}
