// Package kmsg forwards the kernel log (/dev/kmsg) to the daemon's log, as
// the reference GCS does: every record whose priority is at or below a
// level (0 emergency … 7 debug) becomes one log line with its priority,
// facility, sequence number and time since boot.
//
// The reader starts at the oldest record the kernel still holds, so a
// utility VM's boot messages reach the log too. Records that come later are
// rate limited (a burst, then a steady rate): a container that makes the
// kernel log at will (OOM kills, crash loops) cannot flood the daemon's log;
// what is left out is counted in a line of its own. It runs on one goroutine
// with one fixed buffer, never blocks anything else, skips records the
// kernel overwrote before they were read, and stops when its context ends.
package kmsg
