// Package stdio relays a process's standard streams to the host's stdio
// connections (WIRE.md §6.4).
//
// The host asks for up to three streams per process, each a separate
// connection dialed by the guest before the process starts (DialConns).
// Two relays move the bytes:
//
//   - PipeRelay puts a pipe between the process and each connection. Output
//     is copied until the process side reaches end of file, then the
//     connection is half-closed so the host reads EOF, and closed once the
//     host has closed its side (or a bound passed).
//   - TTYRelay serves a process attached to a pseudo-terminal: stdin
//     connection → pty master, pty master → stdout connection. The master
//     comes from NewPty or, for OCI runtimes, from a ConsoleSocket.
//
// Both satisfy Relay. Once the process has exited, Relay.Wait drains the
// remaining output within the bounds of Timeouts (a grandchild that keeps a
// stream open cannot hold it forever) and closes every connection, so all
// output precedes the exit code sent to the host.
//
// A container init's stdout and stderr connections are RedialConns
// (RedialOutputs): when the host end drops, as in a live migration, they
// re-dial the same port on a fixed cadence and replay the most recent
// output, until teardown.
package stdio
