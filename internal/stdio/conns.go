package stdio

import (
	"context"
	"fmt"
	"net"

	"github.com/linux-gcs/gcs/internal/transport"
)

// Conns are the host connections of one process's requested streams; a nil
// field is a stream that was not requested.
type Conns struct {
	Stdin, Stdout, Stderr net.Conn
}

// DialConns dials the non-zero ports in the order stdin, stdout, stderr
// (WIRE.md §6.4). On error it closes the connections it opened.
func DialConns(ctx context.Context, d transport.RelayDialer, stdin, stdout, stderr uint32) (Conns, error) {
	var c Conns
	streams := []struct {
		name string
		port uint32
		dst  *net.Conn
	}{
		{"stdin", stdin, &c.Stdin},
		{"stdout", stdout, &c.Stdout},
		{"stderr", stderr, &c.Stderr},
	}
	for _, s := range streams {
		if s.port == 0 {
			continue
		}
		conn, err := d.Dial(ctx, s.port)
		if err != nil {
			c.Close()
			return Conns{}, fmt.Errorf("dial %s connection: %w", s.name, err)
		}
		*s.dst = conn
	}
	return c, nil
}

// Close closes every connection in c.
func (c Conns) Close() {
	for _, conn := range []net.Conn{c.Stdin, c.Stdout, c.Stderr} {
		if conn != nil {
			_ = conn.Close()
		}
	}
}
