package hcsv2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// stateTestHost returns a host with its state root in a temporary
// directory, the root, and a function that names a path below its
// bundles directory (ROOT/c).
func stateTestHost(t *testing.T) (*Host, string, func(...string) string) {
	root := t.TempDir()
	c := func(p ...string) string { return filepath.Join(append([]string{root, "c"}, p...)...) }
	return NewHost(Options{Root: root}), root, c
}

func TestStatePaths(t *testing.T) {
	h, root, c := stateTestHost(t)
	if err := os.MkdirAll(c("sb"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, c("ln")); err != nil {
		t.Fatal(err)
	}
	// A running sandbox with the usual layout.
	sb := newContainer(h, "sb", "")
	sb.bundle, sb.scratch = c("sb"), c("sb", "scratch", "sb")
	h.containers["sb"] = sb
	for _, tc := range []struct {
		name, bundle, scratch, sandbox string
		want                           string // in the error; "" accepted
	}{
		{"usual layout", c("x"), c("x", "scratch", "x"), "", ""},
		{"trailing slash", c("x") + "/", "", "", ""},
		{"shared pod scratch below its sandbox", c("w"), c("sb", "scratch", "w"), "sb", ""},
		{"shared scratch of another pod", c("w"), c("sb", "scratch", "w"), "other", "overlaps"},
		{"the sandbox's own scratch", c("w"), c("sb", "scratch", "sb"), "sb", "overlaps"},
		{"pod scratch in the sandbox's sandboxMounts", c("w"), c("sb", "sandboxMounts", "d", "w"), "sb", "overlaps"},
		{"pod scratch in the sandbox's sandboxTmpfsMounts", c("w"), c("sb", "sandboxTmpfsMounts", "w"), "sb", "overlaps"},
		{"pod scratch in the sandbox's hugepages", c("w"), c("sb", "hugepages", "2M", "w"), "sb", "overlaps"},
		{"pod scratch in the sandbox's rootfs", c("w"), c("sb", "rootfs", "tmp", "w"), "sb", "overlaps"},
		{"pod scratch as the sandbox's scratch directory", c("w"), c("sb", "scratch"), "sb", "overlaps"},
		{"bundle in the sandbox's bundle", c("sb", "w"), "", "sb", "overlaps"},
		{"bundles directory", c(), "", "", "bundles directory"},
		{"the root", root, "", "", "outside"},
		{"runtime state", filepath.Join(root, "runtime", "x"), "", "", "runtime state"},
		{"above the runtime state", c("x"), root, "", "outside"},
		{"through a link", c("ln", "c", "x"), "", "", "symbolic link"},
		{"scratch holding the bundle", c("x", "b"), c("x"), "", "holds"},
		{"unclean", c("x") + "/../../runtime", "", "", "clean"},
		{"relative", "c/x", "", "", "absolute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pathsCheck(h, tc.bundle, tc.scratch, tc.sandbox)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			if hr := prot.HResultOf(err); hr != prot.HrInvalidArg {
				t.Errorf("HRESULT %s, want E_INVALIDARG", hr)
			}
		})
	}
}

// pathsCheck runs Create's path checks for a new container "new".
func pathsCheck(h *Host, bundle, scratch, sandbox string) error {
	b, err := h.checkStatePath("OciBundlePath", bundle)
	if err != nil {
		return err
	}
	s := scratch
	if s != "" {
		if s, err = h.checkStatePath("ScratchDirPath", s); err != nil {
			return err
		}
	}
	if err := checkOwnPaths(b, s); err != nil {
		return err
	}
	n := newContainer(h, "new", "")
	n.bundle, n.scratch = b, s
	return h.checkOthersPaths(n, sandbox)
}
