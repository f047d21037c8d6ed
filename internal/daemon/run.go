package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/transport"
)

// redialDelay is the pause before dialing the host again after a
// connection ended, so that a host that accepts and drops at once is not
// hammered.
const redialDelay = 100 * time.Millisecond

// Daemon is a configured GCS.
type Daemon struct {
	cfg    Config
	log    *logrus.Entry
	server *bridge.Server
}

// New builds a Daemon from cfg.
func New(cfg Config) *Daemon {
	log := cfg.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	if !cfg.V4 {
		log.Warn("started without -v4: every request will be answered with E_NOTIMPL, as the reference does")
	}
	srv := bridge.NewServer(bridge.Options{
		Handler:        routes(cfg),
		Sequential:     cfg.Sequential,
		MaxMessageSize: cfg.MaxMessageSize,
		Log:            log,
	})
	return &Daemon{cfg: cfg, log: log, server: srv}
}

// Server returns the bridge server, through which host state publishes
// notifications.
func (d *Daemon) Server() *bridge.Server { return d.server }

// Run serves the bridge until ctx ends (nil is returned) or, in stdio mode,
// until the host closes the input (nil as well). Connection failures in dial
// and listen modes are logged and followed by a new connection.
func (d *Daemon) Run(ctx context.Context) error {
	switch {
	case d.cfg.Stdin != nil:
		return d.runStdio(ctx)
	case d.cfg.Listen:
		return d.runListen(ctx)
	default:
		return d.runDial(ctx)
	}
}

func (d *Daemon) runStdio(ctx context.Context) error {
	conn := transport.Stdio(d.cfg.Stdin, d.cfg.Stdout)
	d.log.Info("serving the bridge on stdin/stdout")
	err := d.server.ServeConn(ctx, conn)
	switch {
	case errors.Is(err, io.EOF), ctx.Err() != nil:
		d.log.Info("bridge input closed; stopping")
		return nil
	default:
		return fmt.Errorf("serve bridge on stdio: %w", err)
	}
}

func (d *Daemon) runDial(ctx context.Context) error {
	for ctx.Err() == nil {
		conn, err := transport.DialRetry(ctx, d.cfg.Bridge, transport.Backoff{
			OnError: func(attempt int, err error) {
				d.log.WithField("attempt", attempt).WithError(err).Debug("bridge dial failed; retrying")
			},
		})
		if err != nil {
			break
		}
		d.serve(ctx, conn)
		sleep(ctx, redialDelay)
	}
	return nil
}

func (d *Daemon) runListen(ctx context.Context) error {
	ln, err := transport.Listen(d.cfg.Bridge)
	if err != nil {
		return fmt.Errorf("listen for the host on %s: %w", d.cfg.Bridge, err)
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer ln.Close()
	d.log.WithField("addr", d.cfg.Bridge.String()).Info("listening for the host")
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept host connection on %s: %w", d.cfg.Bridge, err)
		}
		d.serve(ctx, conn)
	}
}

// serve runs one host connection to its end and logs why it ended.
func (d *Daemon) serve(ctx context.Context, conn net.Conn) {
	log := d.log.WithField("remote", conn.RemoteAddr().String())
	log.Info("host connected")
	err := d.server.ServeConn(ctx, conn)
	switch {
	case ctx.Err() != nil:
	case errors.Is(err, io.EOF):
		log.Info("host closed the bridge")
	default:
		log.WithError(err).Warn("bridge connection ended")
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
