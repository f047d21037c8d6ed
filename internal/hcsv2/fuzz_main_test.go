package hcsv2

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// fuzzNSEnv marks a test binary already running in its private mount
// namespace.
const fuzzNSEnv = "GCS_HCSV2_TEST_MOUNTNS"

// TestMain runs the test binary in one of three roles: the fake OCI runtime
// of the handler fuzz tests (when invoked under fakeRuntimeName), the test
// binary proper inside a private mount namespace, or, by default, the
// launcher of the latter. The handler fuzz targets feed arbitrary paths to
// code that mounts (CombinedLayers, disks, pmem, shares): whatever a fuzzed
// body manages to mount, even outside the temporary state root, stays in
// the namespace, is detected there and dies with it. The fuzz workers are
// children of the binary and inherit the namespace.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == fakeRuntimeName {
		os.Exit(runFakeRuntime(os.Args[1:]))
	}
	if os.Getenv(fuzzNSEnv) == "" && os.Geteuid() == 0 {
		if unshare, err := exec.LookPath("unshare"); err == nil {
			os.Exit(reexecInMountNS(unshare))
		}
	}
	os.Exit(m.Run())
}

// reexecInMountNS runs this binary again with the same arguments in a new
// mount namespace whose mounts do not propagate back, and returns its exit
// status.
func reexecInMountNS(unshare string) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hcsv2 tests: find own executable:", err)
		return 1
	}
	args := append([]string{"--mount", "--propagation", "private", self}, os.Args[1:]...)
	cmd := exec.Command(unshare, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), fuzzNSEnv+"=1")
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "hcsv2 tests: run in a private mount namespace:", err)
		return 1
	}
	return 0
}
