// Package client is the host side of the bridge between a host and a Linux
// guest compute service (GCS): it sends requests the way hcsshim's host
// does and matches the GCS's responses and notifications.
//
// A Client wraps one bridge connection. Create it with Dial (the client
// connects to the GCS), with a Listener (the client listens and the GCS
// dials in, as the real host does), or with New over any stream:
//
//	c, err := client.Dial(ctx, "unix:///run/gcs/bridge.sock")
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//	if _, err := c.Negotiate(ctx); err != nil {
//		return err
//	}
//	stacks, err := c.DumpStacks(ctx)
//
// Requests are numbered from 0 upward and may be issued concurrently from
// any number of goroutines; responses are matched by ID, in whatever order
// the GCS sends them. A failed request comes back as an *Error carrying the
// GCS's HRESULT. Container exit notifications arrive on Notifications.
//
// The client is strict about the protocol, like the real host: a message
// that cannot come from a well-behaved GCS (a response nobody is waiting
// for, a bad size, an unknown notification) ends the client. Done is then
// closed and Err says why.
//
// A live migration drops the bridge under requests in flight; the GCS keeps
// handling them and answers on the next connection. Open a window with
// SetMigrating(true) before the drop and move the client onto the new
// connection with Resume: calls in flight keep waiting and get their
// responses there, as with hcsshim's ResumeOnConn. A fresh Client on a new
// connection knows nothing of the earlier requests, so a late response to
// one of them ends it.
package client
