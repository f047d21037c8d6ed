package transport

import (
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// Network names used in Addr.Network.
const (
	// NetworkVsock is the AF_VSOCK network.
	NetworkVsock = "vsock"
	// NetworkUnix is the Unix domain stream socket network.
	NetworkUnix = "unix"
	// NetworkTCP is the TCP network (IPv4 or IPv6).
	NetworkTCP = "tcp"
	// NetworkStdio is the standard input/output pseudo network.
	NetworkStdio = "stdio"
)

// schemeSep separates the network name from the rest of an address.
const schemeSep = "://"

// Addr is a parsed transport address.
type Addr struct {
	Network string // "vsock", "unix", "tcp", "stdio"
	// vsock: CID and Port; unix: Path; tcp: Host and Port (host may be "" only for relay prefixes)
	CID  uint32
	Port uint32
	Path string
	Host string
}

// ParseAddr parses a transport address:
//
//	vsock://CID:PORT     CID and PORT are decimal uint32 values
//	unix:///abs/path     the path must be absolute; it is cleaned
//	tcp://HOST:PORT      HOST must not be empty, IPv6 in brackets, PORT <= 65535
//	stdio:// or "-"      the process's stdin/stdout
//
// The result's String method returns an address that parses back to the
// same Addr.
func ParseAddr(s string) (Addr, error) {
	a, err := parseAddr(s)
	if err != nil {
		return Addr{}, fmt.Errorf("parse address %q: %w", s, err)
	}
	return a, nil
}

func parseAddr(s string) (Addr, error) {
	if s == "-" {
		return Addr{Network: NetworkStdio}, nil
	}
	network, rest, err := splitScheme(s)
	if err != nil {
		return Addr{}, err
	}
	switch network {
	case NetworkVsock:
		cidStr, portStr, ok := strings.Cut(rest, ":")
		if !ok || portStr == "" {
			return Addr{}, errors.New("missing vsock port (want vsock://CID:PORT)")
		}
		cid, err := parseUint32("vsock CID", cidStr)
		if err != nil {
			return Addr{}, err
		}
		port, err := parseUint32("vsock port", portStr)
		if err != nil {
			return Addr{}, err
		}
		return Addr{Network: NetworkVsock, CID: cid, Port: port}, nil
	case NetworkUnix:
		p, err := parseUnixPath(rest)
		if err != nil {
			return Addr{}, err
		}
		return Addr{Network: NetworkUnix, Path: p}, nil
	case NetworkTCP:
		host, portStr, err := net.SplitHostPort(rest)
		if err != nil {
			return Addr{}, fmt.Errorf("tcp address (want tcp://HOST:PORT): %w", err)
		}
		if host == "" {
			return Addr{}, errors.New("missing tcp host")
		}
		port, err := parseTCPPort(portStr)
		if err != nil {
			return Addr{}, err
		}
		return Addr{Network: NetworkTCP, Host: host, Port: port}, nil
	case NetworkStdio:
		if rest != "" {
			return Addr{}, fmt.Errorf("stdio address takes no argument, got %q", rest)
		}
		return Addr{Network: NetworkStdio}, nil
	}
	return Addr{}, fmt.Errorf("unknown network %q (want vsock, unix, tcp or stdio)", network)
}

// String returns a in the syntax accepted by ParseAddr.
func (a Addr) String() string {
	switch a.Network {
	case NetworkVsock:
		return fmt.Sprintf("vsock://%d:%d", a.CID, a.Port)
	case NetworkUnix:
		return "unix://" + a.Path
	case NetworkTCP:
		return "tcp://" + net.JoinHostPort(a.Host, strconv.FormatUint(uint64(a.Port), 10))
	case NetworkStdio:
		return "stdio://"
	case "":
		return "<empty address>"
	}
	return fmt.Sprintf("<invalid address: network %q>", a.Network)
}

// validate checks an Addr that may have been built by hand rather than by
// ParseAddr.
func (a Addr) validate() error {
	switch a.Network {
	case NetworkVsock, NetworkStdio:
		return nil
	case NetworkUnix:
		if !filepath.IsAbs(a.Path) {
			return fmt.Errorf("unix socket path %q is not absolute", a.Path)
		}
		return nil
	case NetworkTCP:
		if a.Host == "" {
			return errors.New("missing tcp host")
		}
		if a.Port > math.MaxUint16 {
			return fmt.Errorf("tcp port %d out of range", a.Port)
		}
		return nil
	case "":
		return errors.New("empty address")
	}
	return fmt.Errorf("unknown network %q", a.Network)
}

// splitScheme splits "net://rest" into its network name and the rest.
func splitScheme(s string) (network, rest string, err error) {
	if s == "" {
		return "", "", errors.New("empty address")
	}
	network, rest, ok := strings.Cut(s, schemeSep)
	if !ok {
		return "", "", errors.New("missing scheme (want vsock://, unix://, tcp:// or stdio://)")
	}
	return strings.ToLower(network), rest, nil
}

// parseUnixPath validates and cleans an absolute socket or directory path.
func parseUnixPath(p string) (string, error) {
	if p == "" {
		return "", errors.New("missing unix path")
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", errors.New("unix path contains a NUL byte")
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("unix path %q is not absolute (want unix:///abs/path)", p)
	}
	return filepath.Clean(p), nil
}

// parseUint32 parses a decimal uint32, naming what in the error.
func parseUint32(what, s string) (uint32, error) {
	if s == "" {
		return 0, fmt.Errorf("missing %s", what)
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%s %s out of range", what, s)
		}
		return 0, fmt.Errorf("invalid %s %q", what, s)
	}
	return uint32(v), nil
}

// parseTCPPort parses a decimal TCP port in [0, 65535].
func parseTCPPort(s string) (uint32, error) {
	if s == "" {
		return 0, errors.New("missing tcp port")
	}
	v, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("tcp port %s out of range", s)
		}
		return 0, fmt.Errorf("invalid tcp port %q", s)
	}
	return uint32(v), nil
}
