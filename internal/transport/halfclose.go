package transport

import "net"

// closeWriter is implemented by connections that support a write half-close
// (*net.TCPConn, *net.UnixConn, *vsock.Conn and the Stdio conn).
type closeWriter interface {
	CloseWrite() error
}

// closeReader is implemented by connections that support a read half-close.
type closeReader interface {
	CloseRead() error
}

// CloseWrite half-closes c if it supports it (net.TCPConn, net.UnixConn, *vsock.Conn, the stdio conn), else closes it.
// After a write half-close the peer reads io.EOF while c can still read.
func CloseWrite(c net.Conn) error {
	if cw, ok := c.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// CloseRead likewise for the read side: it shuts down reading on c if c
// supports it, else closes c.
func CloseRead(c net.Conn) error {
	if cr, ok := c.(closeReader); ok {
		return cr.CloseRead()
	}
	return c.Close()
}
