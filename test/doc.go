// Package test holds the integration and end-to-end tests of the GCS: the
// real gcs binary (or the daemon in-process where a test must reach inside)
// driven through the host client over real sockets and pipes, plus the
// benchmarks of `make bench`.
package test
