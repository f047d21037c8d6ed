package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/transport"
)

// connectTimeout bounds the wait for the GCS's stdio connections once
// ExecuteProcess has answered: the GCS dials them before it answers.
const connectTimeout = 10 * time.Second

// drainTimeout bounds the wait for the output copies to finish after the
// process's exit was reported: the GCS relays all output first.
const drainTimeout = 10 * time.Second

// streams says which of a process's standard streams to attach.
type streams struct{ stdin, stdout, stderr bool }

// streamNames name the streams in the order of attachment.ports.
var streamNames = [3]string{"stdin", "stdout", "stderr"}

// attachment is the host side of one process's stdio: a relay port for
// each requested stream, the connection the GCS makes to it, and the copies
// between those connections and gcsctl's own standard streams.
type attachment struct {
	settings  prot.ExecuteProcessVsockStdioRelaySettings
	ports     [3]*relayPort // stdin, stdout, stderr; nil when not requested
	outputs   sync.WaitGroup
	closeOnce sync.Once
}

// relayPort is one listening relay port, which accepts one connection.
type relayPort struct {
	port    uint32
	ln      net.Listener
	ch      chan net.Conn // the accepted connection; closed when Accept returns
	acceptE error         // why Accept failed, once ch is closed without a connection
	conn    net.Conn      // the connection, once connect took it from ch
}

// attach listens on a relay port for each stream in want.
func (s *session) attach(ctx context.Context, want streams) (*attachment, error) {
	rl, err := s.relayListener()
	if err != nil {
		return nil, err
	}
	a := &attachment{}
	ports := [3]*uint32{&a.settings.StdIn, &a.settings.StdOut, &a.settings.StdErr}
	for i, on := range [3]bool{want.stdin, want.stdout, want.stderr} {
		if !on {
			continue
		}
		p, err := listenRelay(ctx, rl)
		if err != nil {
			a.close()
			return nil, fmt.Errorf("listen for the process's %s: %w", streamNames[i], err)
		}
		a.ports[i], *ports[i] = p, p.port
	}
	return a, nil
}

// listenRelay opens a relay port and accepts its connection in the
// background.
func listenRelay(ctx context.Context, rl transport.RelayListener) (*relayPort, error) {
	port, ln, err := rl.Listen(ctx)
	if err != nil {
		return nil, err
	}
	p := &relayPort{port: port, ln: ln, ch: make(chan net.Conn, 1)}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			p.acceptE = err
		} else {
			p.ch <- c
		}
		close(p.ch)
	}()
	return p, nil
}

// setPipes sets the Create*Pipe flags of params for the attached streams.
func (a *attachment) setPipes(params *prot.ProcessParameters) {
	params.CreateStdInPipe = a.ports[0] != nil
	params.CreateStdOutPipe = a.ports[1] != nil
	params.CreateStdErrPipe = a.ports[2] != nil
}

// connect waits for the GCS's connection to every relay port.
func (a *attachment) connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeoutCause(ctx, connectTimeout, &limitError{msg: fmt.Sprintf("no connection within %s", connectTimeout)})
	defer cancel()
	for i, p := range a.ports {
		if p == nil {
			continue
		}
		select {
		case c, ok := <-p.ch:
			if !ok {
				return fmt.Errorf("the GCS did not connect the process's %s to relay port %d: %w", streamNames[i], p.port, p.acceptE)
			}
			p.conn = c
		case <-ctx.Done():
			return fmt.Errorf("wait for the GCS to connect the process's %s to relay port %d: %w", streamNames[i], p.port, context.Cause(ctx))
		}
	}
	return nil
}

// copyOutput copies the process's stdout and stderr, as far as attached,
// to stdout and stderr until the GCS ends them, then closes them, which
// tells the GCS the host has everything.
func (a *attachment) copyOutput(stdout, stderr io.Writer) {
	for i, w := range [3]io.Writer{nil, stdout, stderr} {
		p := a.ports[i]
		if w == nil || p == nil || p.conn == nil {
			continue
		}
		a.outputs.Add(1)
		go func() {
			defer a.outputs.Done()
			_, _ = io.Copy(w, p.conn)
			_ = p.conn.Close()
		}()
	}
}

// copyInput copies stdin to the process's stdin, if attached, and
// half-closes it at the end of stdin so that the process reads EOF. The
// copy is not waited for: it may be blocked reading a terminal when the
// process has exited; closing the connection ends it at the next read.
func (a *attachment) copyInput(stdin io.Reader) {
	p := a.ports[0]
	if p == nil || p.conn == nil {
		return
	}
	go func() {
		_, _ = io.Copy(p.conn, stdin)
		_ = transport.CloseWrite(p.conn)
	}()
}

// finish waits, within drainTimeout, for the output copies to end (the
// process has exited), then closes everything.
func (a *attachment) finish() {
	done := make(chan struct{})
	go func() {
		a.outputs.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(drainTimeout):
	}
	a.close()
}

// close closes every listener and connection at once. It is safe to call
// more than once.
func (a *attachment) close() {
	a.closeOnce.Do(func() {
		for _, p := range a.ports {
			if p == nil {
				continue
			}
			_ = p.ln.Close()
			for c := range p.ch { // ends once Accept has returned
				_ = c.Close()
			}
			if p.conn != nil {
				_ = p.conn.Close()
			}
		}
	})
}
