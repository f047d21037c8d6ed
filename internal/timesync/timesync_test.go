package timesync

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
)

// fakeSys makes a sysfs tree whose PTP clocks ptp0, ptp1, ... have the
// given names ("" leaves the clock without a clock_name file) and a device
// directory: this machine has no PTP clock of its own.
func fakeSys(t *testing.T, names ...string) (sys, dev string) {
	t.Helper()
	root := t.TempDir()
	sys, dev = filepath.Join(root, "sys"), filepath.Join(root, "dev")
	if err := os.MkdirAll(dev, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		dir := filepath.Join(sys, "class", "ptp", "ptp"+string(rune('0'+i)))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if name == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, "clock_name"), []byte(name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return sys, dev
}

func TestFindClock(t *testing.T) {
	tests := []struct {
		name    string
		clocks  []string
		devLink bool
		want    string // relative to dev; "" expects ErrNoClock
	}{
		{name: "no ptp class"},
		{name: "kvm only", clocks: []string{"KVM virtual PTP"}},
		{name: "hyperv", clocks: []string{"hyperv"}, want: "ptp0"},
		{name: "hyperv second", clocks: []string{"KVM virtual PTP", "", "hyperv"}, want: "ptp2"},
		{name: "udev link only", devLink: true, want: "ptp_hyperv"},
		{name: "sysfs before link", clocks: []string{"hyperv"}, devLink: true, want: "ptp0"},
		{name: "name must match exactly", clocks: []string{"hyperv2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys, dev := fakeSys(t, tt.clocks...)
			if tt.devLink {
				if err := os.WriteFile(filepath.Join(dev, "ptp_hyperv"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := FindClock(sys, dev)
			if tt.want == "" {
				if !errors.Is(err, ErrNoClock) {
					t.Fatalf("FindClock = %q, %v; want ErrNoClock", got, err)
				}
				return
			}
			if err != nil || got != filepath.Join(dev, tt.want) {
				t.Fatalf("FindClock = %q, %v; want %q", got, err, filepath.Join(dev, tt.want))
			}
		})
	}
}

func TestConfigAndCommand(t *testing.T) {
	if got, want := Config("/dev/ptp0"), "refclock PHC /dev/ptp0 poll 3 dpoll -2 offset 0 stratum 2\nmakestep 0.1 -1\n"; got != want {
		t.Errorf("Config = %q; want %q", got, want)
	}
	if got, want := Command("/usr/sbin/chronyd", "/run/gcs/chronyd.conf"), []string{"/usr/sbin/chronyd", "-n", "-f", "/run/gcs/chronyd.conf"}; !slices.Equal(got, want) {
		t.Errorf("Command = %q; want %q", got, want)
	}
}

// TestRunWithoutWhatItNeeds: no clock, or no chronyd, is logged and Run
// returns without running anything.
func TestRunWithoutWhatItNeeds(t *testing.T) {
	tests := []struct {
		name    string
		clocks  []string
		chronyd string
		want    string
	}{
		{name: "no clock", want: "time sync unavailable: no clock to follow"},
		{name: "no chronyd", clocks: []string{"hyperv"}, chronyd: "gcs-test-no-such-chronyd", want: "time sync unavailable: chronyd not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys, dev := fakeSys(t, tt.clocks...)
			var b testutil.LogBuffer
			Run(t.Context(), Options{SysRoot: sys, DevRoot: dev, ConfDir: t.TempDir(), Chronyd: tt.chronyd, Log: b.Logger(),
				Run: func(*exec.Cmd) error { t.Error("a command was run"); return nil }})
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("log lacks %q:\n%s", tt.want, b.String())
			}
		})
	}
}

// TestRunRestartsAndStops runs a stand-in chronyd that exits at once: it
// is run again after the restart delay, and Run returns when ctx ends.
func TestRunRestartsAndStops(t *testing.T) {
	sys, dev := fakeSys(t, "hyperv")
	conf := t.TempDir()
	var b testutil.LogBuffer
	runs := make(chan []string, 10)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, Options{SysRoot: sys, DevRoot: dev, ConfDir: conf, Chronyd: "true", Log: b.Logger(),
			Run: func(cmd *exec.Cmd) error {
				runs <- cmd.Args
				return cmd.Run()
			}})
	}()
	for i := range 2 {
		select {
		case args := <-runs:
			if want := []string{"true", "-n", "-f", filepath.Join(conf, "chronyd.conf")}; !slices.Equal(args[1:], want[1:]) {
				t.Errorf("run %d: %q; want %q", i, args, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("chronyd run %d never came:\n%s", i, b.String())
		}
	}
	b2, err := os.ReadFile(filepath.Join(conf, "chronyd.conf"))
	if err != nil || string(b2) != Config(filepath.Join(dev, "ptp0")) {
		t.Errorf("configuration %q, %v", b2, err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return when its context ended")
	}
}

// TestRunStopsChronyd: a chronyd that runs until told is sent SIGTERM when
// the context ends.
func TestRunStopsChronyd(t *testing.T) {
	sys, dev := fakeSys(t, "hyperv")
	bin := filepath.Join(t.TempDir(), "chronyd")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexec sleep 1000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	started := make(chan *exec.Cmd, 1)
	var b testutil.LogBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		Run(ctx, Options{SysRoot: sys, DevRoot: dev, ConfDir: t.TempDir(), Chronyd: bin, Log: b.Logger(),
			Run: func(cmd *exec.Cmd) error {
				if err := cmd.Start(); err != nil {
					return err
				}
				started <- cmd
				err := cmd.Wait()
				done <- err
				return err
			}})
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatalf("chronyd not started:\n%s", b.String())
	}
	cancel()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ProcessState.String() != "signal: terminated" {
			t.Errorf("chronyd ended with %v; want SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("chronyd still running after the context ended")
	}
}

// TestNextDelay: the restart delay doubles while chronyd keeps exiting
// soon after it starts, up to its bound, and starts again from the first
// once chronyd had run for a long while (the old loop only ever doubled
// it, so one crash after days of service waited ten minutes).
func TestNextDelay(t *testing.T) {
	tests := []struct {
		name      string
		prev, ran time.Duration
		want      time.Duration
	}{
		{"quick exit doubles", time.Second, time.Second, 2 * time.Second},
		{"doubling is bounded", 8 * time.Minute, time.Minute, maxRestartDelay},
		{"at the bound stays", maxRestartDelay, time.Second, maxRestartDelay},
		{"long run resets", maxRestartDelay, 72 * time.Hour, firstRestartDelay},
		{"just healthy resets", 4 * time.Second, healthyRun, firstRestartDelay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextDelay(tt.prev, tt.ran); got != tt.want {
				t.Errorf("nextDelay(%s, %s) = %s, want %s", tt.prev, tt.ran, got, tt.want)
			}
		})
	}
}
