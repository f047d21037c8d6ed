package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sirupsen/logrus"
)

// daemonPidField is the log field of the daemon's own pid.
const daemonPidField = "gcs-pid"

// setupLogging builds the daemon's logger from -loglevel, -log-format and
// -logfile. Logs never go to standard output, which may carry the bridge.
func setupLogging(o *options, stderr io.Writer) (*logrus.Entry, func(), error) {
	l := logrus.New()
	l.SetOutput(stderr)
	level, err := logrus.ParseLevel(o.logLevel)
	if err != nil {
		return nil, nil, fmt.Errorf("-loglevel: %w", err)
	}
	l.SetLevel(level)
	if o.logFormat == "json" {
		l.SetFormatter(&logrus.JSONFormatter{TimestampFormat: time.RFC3339Nano})
	} else {
		l.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, TimestampFormat: time.RFC3339Nano, DisableColors: true})
	}
	closeFn := func() {}
	if o.logFile != "" {
		// Emptied at start, as the reference does: a utility VM's log file
		// belongs to one boot.
		f, err := os.OpenFile(o.logFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("-logfile: %w", err)
		}
		l.SetOutput(f)
		closeFn = func() { f.Close() }
	}
	// "pid" is left to the processes lines are about (a container's init,
	// an exec, a runtime); the daemon's own is gcs-pid on every line.
	return logrus.NewEntry(l).WithField(daemonPidField, os.Getpid()), closeFn, nil
}
