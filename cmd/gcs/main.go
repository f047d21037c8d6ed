// Command gcs is the Linux guest compute service: the daemon inside a
// utility VM that speaks the host↔guest bridge protocol and runs containers
// for the host. It is a drop-in for hcsshim's reference gcs binary.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/daemon"
	"github.com/linux-gcs/gcs/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.ReadCloser, stdout io.WriteCloser, stderr io.Writer) int {
	defer surviveBrokenPipes()()
	opts, err := parseFlags(args, stderr)
	switch {
	case err == errHelp:
		return 0
	case err == errVersion:
		fmt.Fprintf(stdout, "gcs %s\n", version.Get())
		return 0
	case err != nil:
		return 2
	}
	log, closeLog, err := setupLogging(opts, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "gcs: %v\n", err)
		return 1
	}
	defer closeLog()
	// Under the deny stance nothing is logged until a policy allows
	// runtime_logging (as the reference, which discards its logs before
	// its first line); the real output is handed to the daemon for then.
	logOut := log.Logger.Out
	if opts.initialPolicyStance == "deny" {
		log.Logger.SetOutput(io.Discard)
	}
	v := version.Get()
	fields := logrus.Fields{"version": v.Version, "go": v.Go}
	if v.Commit != "" {
		fields["commit"], fields["modified"] = v.Commit, v.Modified
	}
	log.WithFields(fields).Info("gcs: starting")

	cfg, err := opts.config(stdin, stdout, log)
	if err != nil {
		fmt.Fprintf(stderr, "gcs: %v\n", err)
		return 2
	}
	cfg.LogOutput = logOut
	// Watched before start-up, so that a signal during it is not lost;
	// the daemon is there to abort once start-up built it.
	var d *daemon.Daemon
	built := make(chan struct{})
	ctx, signals, stop := watchSignals(context.Background(), log, func() {
		<-built
		if d != nil {
			d.AbortTeardown()
		}
	}, os.Exit)
	defer stop()

	d, err = newDaemon(cfg, opts)
	close(built)
	if err != nil {
		log.WithError(err).Error("gcs: start-up failed")
		return 1
	}
	signals.follow(d.Stopping())
	err = d.Run(ctx)
	switch {
	case err != nil:
		log.WithError(err).Error("gcs: stopped")
		return 1
	case signals.cutShort():
		log.Warn("gcs: stopped before the teardown ended")
		return 1
	}
	log.Info("gcs: stopped")
	return 0
}
