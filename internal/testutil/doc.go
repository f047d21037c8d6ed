// Package testutil holds helpers shared by the tests of several packages:
// a static busybox root filesystem, a minimal OCI spec, a private cgroup
// parent, the OCI runtimes available on the machine and leak checks. It is
// imported only from _test.go files.
//
// Helpers that run commands (BusyboxRootfs, Runtimes) use os/exec directly.
// Call them before a reaper.Reaper runs in the test process: a running
// reaper would reap those commands first and they would fail with ECHILD,
// which the helpers report as such.
package testutil
