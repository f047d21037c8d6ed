package hcsv2

import (
	"os"
	"path/filepath"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// devTree is a device root for completeDevices with real device nodes:
// null (1:3) directly in it, sub/null (1:3) in a directory of it, and
// outside/zero (1:5) in a directory outside it that links lead to.
type devTree struct {
	root, outside string
}

func newDevTree(t *testing.T) devTree {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making device nodes needs root")
	}
	d := devTree{root: t.TempDir(), outside: t.TempDir()}
	for p, minor := range map[string]uint32{
		filepath.Join(d.root, "null"):        3,
		filepath.Join(d.root, "sub", "null"): 3,
		filepath.Join(d.outside, "zero"):     5,
		filepath.Join(d.outside, "null"):     5, // numbers that tell it from the root's null
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(1, minor))); err != nil {
			t.Skipf("mknod %s: %v", p, err)
		}
	}
	return d
}

func (d devTree) link(t *testing.T, name, to string) {
	t.Helper()
	if err := os.Symlink(to, filepath.Join(d.root, name)); err != nil {
		t.Fatal(err)
	}
}

// A device the spec names is looked up in the device root without
// following a symbolic link in any component: a link in the middle of the
// path, out of the root or within it, fails the Create instead of handing
// the container whatever node it leads to.
func TestCompleteDevicesFollowsNoLink(t *testing.T) {
	d := newDevTree(t)
	d.link(t, "out", d.outside)                         // a directory link out of the root
	d.link(t, "alias", filepath.Join(d.root, "sub"))    // a directory link within it
	d.link(t, "rel", "sub")                             // a relative one
	d.link(t, "dotdot", "../"+filepath.Base(d.outside)) // a relative one out
	d.link(t, "final", filepath.Join(d.root, "null"))   // a link as the node itself
	for _, tc := range []struct {
		name, path string
		minor      int64 // 0: refused
	}{
		{"node in the root", "/dev/null", 3},
		{"node in a directory", "/dev/sub/null", 3},
		{"lexical .. over a link", "/dev/out/../null", 3},
		{"link out of the root", "/dev/out/zero", 0},
		{"link out of the root to a same-named node", "/dev/out/null", 0},
		{"link within the root", "/dev/alias/null", 0},
		{"relative link within the root", "/dev/rel/null", 0},
		{"relative link out", "/dev/dotdot/zero", 0},
		{"link as the node", "/dev/final", 0},
		{"the device root itself", "/dev", 0},
		{"a directory", "/dev/sub", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := podTestSpec(nil)
			s.Linux.Devices = []oci.LinuxDevice{{Path: tc.path}}
			err := completeDevices(s, d.root)
			if tc.minor == 0 {
				if err == nil {
					t.Fatalf("completeDevices(%s) = %+v, want it refused", tc.path, s.Linux.Devices)
				}
				return
			}
			if err != nil {
				t.Fatalf("completeDevices(%s): %v", tc.path, err)
			}
			if len(s.Linux.Devices) != 1 || s.Linux.Devices[0].Major != 1 || s.Linux.Devices[0].Minor != tc.minor {
				t.Errorf("devices %+v, want 1:%d", s.Linux.Devices, tc.minor)
			}
		})
	}
}
