// Command gcs is the Linux guest compute service: the daemon inside a
// utility VM that speaks the host↔guest bridge protocol and runs containers
// for the host. It is a drop-in for hcsshim's reference gcs binary.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.ReadCloser, stdout io.WriteCloser, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		if err == errHelp {
			return 0
		}
		return 2
	}
	log, closeLog, err := setupLogging(opts, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "gcs: %v\n", err)
		return 1
	}
	defer closeLog()

	cfg, err := opts.config(stdin, stdout, log)
	if err != nil {
		fmt.Fprintf(stderr, "gcs: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	d, err := newDaemon(cfg, opts)
	if err != nil {
		log.WithError(err).Error("gcs: start-up failed")
		return 1
	}
	if err := d.Run(ctx); err != nil {
		log.WithError(err).Error("gcs: stopped")
		return 1
	}
	log.Info("gcs: stopped")
	return 0
}
