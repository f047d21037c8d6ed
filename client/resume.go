package client

import (
	"context"
	"errors"
	"io"

	"github.com/linux-gcs/gcs/internal/prot"
)

// SetMigrating opens (true) or closes (false) a migration window, as
// hcsshim's host does around a live migration: while it is open, the
// connection dropping does not end the client; calls waiting for a response
// keep waiting, and Resume moves the client onto the next connection. A
// request written while the connection is down fails alone.
func (c *Client) SetMigrating(migrating bool) { c.migrating.Store(migrating) }

// Resume moves the client onto conn, inside a migration window, keeping
// every call in flight: the GCS answers on conn, under their original IDs,
// the requests it was still handling. The client then negotiates again,
// since every connection starts un-negotiated; the result of that
// negotiation is returned. The client owns conn; on failure conn is closed.
func (c *Client) Resume(ctx context.Context, conn io.ReadWriteCloser) (*prot.NegotiateProtocolResponse, error) {
	if !c.migrating.Load() {
		conn.Close()
		return nil, errors.New("gcs: resume outside a migration window (SetMigrating)")
	}
	c.connMu.Lock()
	old := c.conn
	c.conn = conn
	c.connMu.Unlock()
	// Forces the reader off the stale connection if it has not noticed yet;
	// it then reads conn. The signal never blocks: a reader that started
	// after the swap already reads conn.
	old.Close()
	select {
	case c.resumed <- struct{}{}:
	default:
	}
	select {
	case <-c.done:
		conn.Close()
		return nil, c.Err()
	default:
	}
	return c.Negotiate(ctx)
}
