package transport

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// RelayDialer dials relay ports under an address prefix. The zero value is
// not usable; create one with ParseRelay.
type RelayDialer struct {
	base Addr // Port unused; Host may be empty for tcp
}

// ParseRelay parses a relay address prefix:
//
//	"vsock://2"          -> Dial vsock CID 2 at PORT
//	"tcp://127.0.0.1"    -> Dial 127.0.0.1:PORT   (also [::1])
//	"unix:///some/dir"   -> Dial /some/dir/PORT.sock
func ParseRelay(prefix string) (RelayDialer, error) {
	base, err := parseRelayPrefix(prefix)
	if err != nil {
		return RelayDialer{}, fmt.Errorf("parse relay prefix %q: %w", prefix, err)
	}
	return RelayDialer{base: base}, nil
}

// Addr returns the full address of relay port under d's prefix.
func (d RelayDialer) Addr(port uint32) (Addr, error) {
	return relayAddr(d.base, port)
}

// Dial connects to relay port under d's prefix.
func (d RelayDialer) Dial(ctx context.Context, port uint32) (net.Conn, error) {
	a, err := d.Addr(port)
	if err != nil {
		return nil, fmt.Errorf("dial relay %s port %d: %w", d, port, err)
	}
	return Dial(ctx, a)
}

// String returns the prefix in the syntax accepted by ParseRelay.
func (d RelayDialer) String() string {
	return relayPrefixString(d.base)
}

// parseRelayPrefix parses a port-less address prefix into an Addr with a
// zero Port.
func parseRelayPrefix(s string) (Addr, error) {
	network, rest, err := splitScheme(s)
	if err != nil {
		return Addr{}, err
	}
	switch network {
	case NetworkVsock:
		if strings.Contains(rest, ":") {
			return Addr{}, errors.New("relay prefix must not contain a port (want vsock://CID)")
		}
		cid, err := parseUint32("vsock CID", rest)
		if err != nil {
			return Addr{}, err
		}
		return Addr{Network: NetworkVsock, CID: cid}, nil
	case NetworkTCP:
		host, err := parseRelayHost(rest)
		if err != nil {
			return Addr{}, err
		}
		return Addr{Network: NetworkTCP, Host: host}, nil
	case NetworkUnix:
		dir, err := parseUnixPath(rest)
		if err != nil {
			return Addr{}, err
		}
		return Addr{Network: NetworkUnix, Path: dir}, nil
	case NetworkStdio:
		return Addr{}, errors.New("stdio cannot carry relay connections")
	}
	return Addr{}, fmt.Errorf("unknown network %q (want vsock, unix or tcp)", network)
}

// parseRelayHost parses the host of a "tcp://HOST" prefix; IPv6 literals
// must be bracketed and the host may be empty.
func parseRelayHost(s string) (string, error) {
	if strings.HasPrefix(s, "[") {
		host, ok := strings.CutSuffix(s[1:], "]")
		if !ok || strings.ContainsAny(host, "[]") {
			return "", fmt.Errorf("malformed bracketed host %q (or a port was given; want tcp://[::1])", s)
		}
		return host, nil
	}
	if strings.Contains(s, ":") {
		return "", fmt.Errorf("relay prefix %q must not contain a port; bracket IPv6 literals", s)
	}
	if strings.ContainsAny(s, "/]") {
		return "", fmt.Errorf("invalid tcp host %q", s)
	}
	return s, nil
}

// relayPrefixString formats a prefix parsed by parseRelayPrefix.
func relayPrefixString(base Addr) string {
	switch base.Network {
	case NetworkVsock:
		return fmt.Sprintf("vsock://%d", base.CID)
	case NetworkTCP:
		if strings.Contains(base.Host, ":") {
			return "tcp://[" + base.Host + "]"
		}
		return "tcp://" + base.Host
	case NetworkUnix:
		return "unix://" + base.Path
	}
	return "<invalid relay prefix>"
}

// relayAddr returns the address of port under the prefix base.
func relayAddr(base Addr, port uint32) (Addr, error) {
	switch base.Network {
	case NetworkVsock:
		return Addr{Network: NetworkVsock, CID: base.CID, Port: port}, nil
	case NetworkTCP:
		if port > math.MaxUint16 {
			return Addr{}, fmt.Errorf("tcp port %d out of range", port)
		}
		host := base.Host
		if host == "" {
			host = "localhost"
		}
		return Addr{Network: NetworkTCP, Host: host, Port: port}, nil
	case NetworkUnix:
		return Addr{Network: NetworkUnix, Path: relaySocketPath(base.Path, port)}, nil
	}
	return Addr{}, errors.New("relay prefix not initialised; use ParseRelay")
}

// relaySocketPath is DIR/PORT.sock.
func relaySocketPath(dir string, port uint32) string {
	return filepath.Join(dir, strconv.FormatUint(uint64(port), 10)+".sock")
}
