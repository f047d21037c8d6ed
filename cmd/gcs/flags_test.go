package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReferenceDefaults: the reference's flags keep the reference's
// defaults.
func TestReferenceDefaults(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		flag      string
		got, want any
	}{
		{"-scrub-logs", o.scrubLogs, true},
		{"-kmsgLogLevel", o.kmsgLogLevel, uint(4)},
		{"-gcs-mem-limit-bytes", o.gcsMemLimitBytes, uint64(50 << 20)},
		{"-root-mem-reserve-bytes", o.rootMemReserveBytes, uint64(75 << 20)},
		{"-disable-time-sync", o.disableTimeSync, false},
		{"-pods-mem-interval", o.podsMemEvery, time.Minute},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s defaults to %v; want %v", tt.flag, tt.got, tt.want)
		}
	}
}

// TestLogfileIsEmptied: -logfile starts the file afresh, as the reference
// does (O_TRUNC), rather than appending to an earlier boot's log.
func TestLogfileIsEmptied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gcs.log")
	if err := os.WriteFile(path, []byte("stale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log, closeLog, err := setupLogging(&options{logLevel: "info", logFormat: "text", logFile: path}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("fresh")
	closeLog()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "stale") || !strings.Contains(string(b), "fresh") {
		t.Errorf("log file:\n%s", b)
	}
}

// TestLogDefaults: a gcs run by hand logs at info; the daemon's own pid is
// gcs-pid on every line, leaving pid to the processes a line is about.
func TestLogDefaults(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.logLevel != "info" {
		t.Errorf("-loglevel defaults to %q, want info", o.logLevel)
	}
	var out strings.Builder
	log, closeLog, err := setupLogging(o, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer closeLog()
	log.Debug("hidden")
	log.WithField("pid", 42).Info("shown")
	want := fmt.Sprintf(`msg=shown gcs-pid=%d pid=42`, os.Getpid())
	if got := out.String(); strings.Contains(got, "hidden") || !strings.Contains(got, want) {
		t.Errorf("log:\n%s\nwant one line with %q", got, want)
	}
}

// TestVersionFlag: gcs -version prints its build on stdout and exits 0.
func TestVersionFlag(t *testing.T) {
	var stdout, stderr strings.Builder
	if code := run([]string{"-version"}, nil, nopWriteCloser{&stdout}, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "gcs ") || !strings.Contains(stdout.String(), "go1.") {
		t.Errorf("gcs -version: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// nopWriteCloser is a WriteCloser whose Close does nothing.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// TestCgroupFavorDynModsFlag: favordynmods is on unless turned off.
func TestCgroupFavorDynModsFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"-cgroup-favordynmods=false"}, false},
		{[]string{"-cgroup-favordynmods"}, true},
	} {
		o, err := parseFlags(tt.args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if o.cgroupFavorDynMods != tt.want {
			t.Errorf("%v: cgroupFavorDynMods %v; want %v", tt.args, o.cgroupFavorDynMods, tt.want)
		}
	}
}
