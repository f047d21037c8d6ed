// Package daemon wires the GCS together: it builds the bridge server and its
// routes, then serves the bridge over the configured transport — dialing the
// host (and redialing after a drop), listening for it, or on stdin/stdout —
// until the context ends.
package daemon
