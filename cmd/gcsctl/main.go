// Command gcsctl drives a Linux guest compute service (GCS) over the bridge
// protocol, playing the part of the host. Run "gcsctl help" for usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	code := runWithSignals(context.Background(), os.Args[1:], signals, os.Stdin, os.Stdout, os.Stderr)
	signal.Stop(signals)
	os.Exit(code)
}
