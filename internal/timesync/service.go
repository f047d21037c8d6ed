package timesync

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
)

// Restart delays of chronyd: the first after an exit, doubled after each
// further one up to the last.
const (
	firstRestartDelay = time.Second
	maxRestartDelay   = 10 * time.Minute
	// healthyRun is how long chronyd must have run for its exit to be
	// taken as a new failure, not one more of a series: the delay starts
	// again from the first, so that a crash after days of service (a
	// resumed VM's clock most needs it then) is not left for ten minutes.
	healthyRun = maxRestartDelay
)

// nextDelay is the restart delay after chronyd ran for ran, the previous
// delay having been prev.
func nextDelay(prev, ran time.Duration) time.Duration {
	if ran >= healthyRun {
		return firstRestartDelay
	}
	return min(2*prev, maxRestartDelay)
}

// stopGrace is how long chronyd has to exit after SIGTERM before it is
// killed.
const stopGrace = 5 * time.Second

// Options configures Run.
type Options struct {
	// SysRoot and DevRoot are where FindClock looks ("/sys", "/dev").
	SysRoot, DevRoot string
	// ConfDir is where chronyd's configuration file is written.
	ConfDir string
	// Chronyd is the chronyd binary, looked up in PATH; empty is "chronyd".
	Chronyd string
	// Run runs cmd to its end; a non-zero exit is an error. Nil runs it
	// with os/exec.
	Run func(cmd *exec.Cmd) error
	// Log receives what the service does.
	Log *logrus.Entry
}

// Command returns chronyd's command line for the configuration file conf:
// in the foreground (-n: a daemonising chronyd would look to Run as if it
// had exited) with that file only.
func Command(chronyd, conf string) []string {
	return []string{chronyd, "-n", "-f", conf}
}

// Run keeps the utility VM's clock in step until ctx ends: it finds the
// clock, writes chronyd's configuration and runs chronyd, restarting it
// with a growing delay whenever it exits. Without a clock or without
// chronyd it logs why time is not synchronised and returns at once: time
// sync is a service of the VM, not a condition of the daemon's.
func Run(ctx context.Context, o Options) {
	log := o.Log
	dev, err := FindClock(o.SysRoot, o.DevRoot)
	if err != nil {
		log.WithError(err).Warn("time sync unavailable: no clock to follow")
		return
	}
	bin := o.Chronyd
	if bin == "" {
		bin = "chronyd"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		log.WithError(err).WithField("clock", dev).Warn("time sync unavailable: chronyd not found")
		return
	}
	conf := filepath.Join(o.ConfDir, "chronyd.conf")
	if err := os.MkdirAll(o.ConfDir, 0o755); err != nil {
		log.WithError(err).Warn("time sync unavailable: make chronyd's configuration directory")
		return
	}
	if err := os.WriteFile(conf, []byte(Config(dev)), 0o644); err != nil {
		log.WithError(err).Warn("time sync unavailable: write chronyd configuration")
		return
	}
	run := o.Run
	if run == nil {
		run = func(cmd *exec.Cmd) error { return cmd.Run() }
	}
	argv := Command(path, conf)
	log = log.WithFields(logrus.Fields{"clock": dev, "command": argv})
	log.Info("time sync: starting chronyd")
	var delay time.Duration // before the first run: none
	for {
		start := time.Now()
		err := run(chronydCmd(ctx, argv))
		if ctx.Err() != nil {
			return
		}
		if delay == 0 {
			delay = firstRestartDelay
		} else {
			delay = nextDelay(delay, time.Since(start))
		}
		log.WithError(err).WithField("restart-in", delay).Warn("time sync: chronyd exited")
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// chronydCmd is chronyd's command, asked to stop with SIGTERM when ctx ends.
func chronydCmd(ctx context.Context, argv []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Cancel = func() error {
		err := cmd.Process.Signal(syscall.SIGTERM)
		if errors.Is(err, os.ErrProcessDone) {
			return nil
		}
		return err
	}
	cmd.WaitDelay = stopGrace
	return cmd
}
