// Package transport provides the connection plumbing shared by the Linux
// guest daemon (GCS) and its host-side client.
//
// A single address syntax describes every endpoint:
//
//	vsock://CID:PORT     AF_VSOCK socket (Linux only)
//	unix:///abs/path     Unix domain stream socket
//	tcp://HOST:PORT      TCP, HOST being a name, an IPv4 address or [IPv6]
//	stdio:// (or "-")    the process's own stdin/stdout (see Stdio)
//
// The bridge itself uses a full address (ParseAddr, Dial, Listen,
// DialRetry). Process stdio and Plan9 shares travel over separate "relay"
// connections, each identified by a uint32 port chosen by the host. Relay
// endpoints are described by an address prefix without a port
// ("vsock://2", "tcp://127.0.0.1", "unix:///run/gcs/relay") and are
// dialed with a RelayDialer and served with a RelayListener.
//
// Half-close is significant for relays: the end of a stdout or stderr
// stream is signalled with CloseWrite, which lets the peer observe io.EOF
// while the opposite direction stays usable.
package transport
