// Package bridge serves the host↔guest bridge protocol on one connection at
// a time: one reader that frames and bounds every message, concurrent
// handlers dispatched through a Mux keyed by message identifier and
// negotiated protocol version, and one writer that sends each reply and
// notification contiguously.
//
// The Server outlives connections: container exit notifications published
// while no host is connected are queued and sent, in order, on the next one.
package bridge
