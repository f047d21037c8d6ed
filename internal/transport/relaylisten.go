package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// Relay port allocation for the unix and vsock networks.
const (
	// RelayPortBase is the first port a RelayListener hands out on the
	// unix and vsock networks. tcp ports are chosen by the kernel.
	RelayPortBase uint32 = 0x40000001
	// relayPortSpan is the number of allocatable ports; 0xFFFFFFFF
	// (VMADDR_PORT_ANY) is never handed out.
	relayPortSpan = math.MaxUint32 - RelayPortBase
	// relayMaxTries bounds the search for a free port in one Listen call.
	relayMaxTries = 4096
)

// RelayListener is the host side of the same scheme: it hands out ports and accepts exactly one connection per port.
// Create one with ParseRelayListener. Copies share one port counter and are
// safe for concurrent use.
type RelayListener struct {
	base Addr
	next *atomic.Uint32 // ports handed out so far (unix, vsock)
}

// ParseRelayListener parses a relay prefix (see ParseRelay) for listening.
// For tcp the host may be empty to listen on all interfaces; for vsock the
// CID is ignored and ports are bound on the local context ID.
func ParseRelayListener(prefix string) (RelayListener, error) {
	base, err := parseRelayPrefix(prefix)
	if err != nil {
		return RelayListener{}, fmt.Errorf("parse relay prefix %q: %w", prefix, err)
	}
	return RelayListener{base: base, next: new(atomic.Uint32)}, nil
}

// String returns the prefix in the syntax accepted by ParseRelayListener.
func (l RelayListener) String() string {
	return relayPrefixString(l.base)
}

// Listen allocates a relay port and listens on it. The returned listener
// accepts a single connection: after the first successful Accept it closes
// itself (freeing the port and, for unix, removing DIR/PORT.sock) and later
// Accept calls fail with an error wrapping net.ErrClosed. Accepted
// connections are unaffected. ctx bounds only the port search.
//
//   - tcp: listens on HOST:0 and returns the kernel-chosen port;
//   - unix: picks the next unused port from RelayPortBase upward and listens
//     on DIR/PORT.sock, creating DIR with mode 0700;
//   - vsock: picks ports the same way, skipping ports already in use.
func (l RelayListener) Listen(ctx context.Context) (port uint32, ln net.Listener, err error) {
	port, ln, err = l.listen(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("listen relay %s: %w", l, err)
	}
	return port, newOneShot(ln), nil
}

// listen is Listen without the error context and one-shot wrapping.
func (l RelayListener) listen(ctx context.Context) (uint32, net.Listener, error) {
	if l.next == nil {
		return 0, nil, errors.New("relay listener not initialised; use ParseRelayListener")
	}
	switch l.base.Network {
	case NetworkTCP:
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(l.base.Host, "0"))
		if err != nil {
			return 0, nil, err
		}
		ta, ok := ln.Addr().(*net.TCPAddr)
		if !ok {
			_ = ln.Close()
			return 0, nil, fmt.Errorf("unexpected listener address type %T", ln.Addr())
		}
		return uint32(ta.Port), ln, nil
	case NetworkUnix:
		if err := os.MkdirAll(l.base.Path, 0o700); err != nil {
			return 0, nil, err
		}
		return l.search(ctx, func(port uint32) (net.Listener, error) {
			path := relaySocketPath(l.base.Path, port)
			if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
				if err == nil {
					err = syscall.EADDRINUSE // something is already there
				}
				return nil, err
			}
			return listenUnix(path)
		})
	case NetworkVsock:
		return l.search(ctx, listenVsock)
	}
	return 0, nil, fmt.Errorf("network %q not supported for relays", l.base.Network)
}

// search tries successive ports with try until one is not in use.
func (l RelayListener) search(ctx context.Context, try func(uint32) (net.Listener, error)) (uint32, net.Listener, error) {
	var lastErr error
	for range relayMaxTries {
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		port := RelayPortBase + (l.next.Add(1)-1)%relayPortSpan
		ln, err := try(port)
		if err == nil {
			return port, ln, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return 0, nil, fmt.Errorf("port %d: %w", port, err)
		}
		lastErr = err
	}
	return 0, nil, fmt.Errorf("no free port after %d tries: %w", relayMaxTries, lastErr)
}

// oneShot is a net.Listener that closes itself after one accepted
// connection.
type oneShot struct {
	net.Listener

	mu       sync.Mutex // serialises Accept
	accepted bool

	closeOnce sync.Once
	closeErr  error
}

// newOneShot wraps ln so that it accepts a single connection.
func newOneShot(ln net.Listener) *oneShot {
	return &oneShot{Listener: ln}
}

// Accept returns the first connection and then closes the listener.
func (l *oneShot) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.accepted {
		return nil, &net.OpError{Op: "accept", Net: l.Addr().Network(), Addr: l.Addr(), Err: net.ErrClosed}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted = true
	_ = l.Close()
	return c, nil
}

// Close closes the underlying listener once; later calls return the same
// result.
func (l *oneShot) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.Listener.Close() })
	return l.closeErr
}
