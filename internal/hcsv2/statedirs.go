package hcsv2

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// A container's bundle and scratch directories are removed recursively
// when it goes, so Create accepts them only where that cannot hurt: below
// one of the state roots, never the GCS's own state nor another
// container's directories, and through no symbolic link.

// podScratchDir is the directory of a sandbox's bundle that its pod's
// workload containers may have their scratch below.
const podScratchDir = "scratch"

// stateRoots returns the directories bundles and scratch may be below.
func (h *Host) stateRoots() []string {
	if len(h.opts.StateRoots) > 0 {
		return h.opts.StateRoots
	}
	return []string{filepath.Clean(h.opts.Root)}
}

// runtimeRoot is where the OCI runtime keeps its state.
func (h *Host) runtimeRoot() string {
	if h.opts.Runtime != nil && h.opts.Runtime.Root != "" {
		return filepath.Clean(h.opts.Runtime.Root)
	}
	return filepath.Join(h.opts.Root, "runtime")
}

// checkStatePath accepts a bundle or scratch path p (what names the field)
// only if it is a clean absolute path strictly below a state root, is not
// the runtime's state (nor above or below it), is not one of the bundles'
// directories Root/c and Root/pods (nor above them), and has no symbolic link, or anything
// but directories, between the root and p. It returns p without the
// trailing slash it may have.
func (h *Host) checkStatePath(what, p string) (string, error) {
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	if err := mount.CheckPath(p); err != nil {
		return "", prot.Errorf(prot.HrInvalidArg, "%s: %w", what, err)
	}
	root, err := mount.RootOf(p, h.stateRoots())
	if err != nil {
		return "", prot.Errorf(prot.HrInvalidArg, "%s %q is outside the GCS state directories: %w", what, p, err)
	}
	rt := h.runtimeRoot()
	if p == rt || mount.Below(p, rt) || mount.Below(rt, p) {
		return "", prot.Errorf(prot.HrInvalidArg, "%s %q overlaps the runtime state %s", what, p, rt)
	}
	for _, dir := range []string{"c", "pods"} {
		bundles := filepath.Join(filepath.Clean(h.opts.Root), dir)
		if p == bundles || mount.Below(bundles, p) {
			return "", prot.Errorf(prot.HrInvalidArg, "%s %q is or holds the bundles directory %s", what, p, bundles)
		}
	}
	if err := mount.NoLinksBelow(root, p); err != nil {
		return "", prot.Errorf(prot.HrInvalidArg, "%s %q: %w", what, p, err)
	}
	return p, nil
}

// overlaps reports whether a and b are the same directory or one holds
// the other.
func overlaps(a, b string) bool {
	return a == b || mount.Below(a, b) || mount.Below(b, a)
}

// checkOwnPaths refuses a scratch that holds the container's own bundle.
func checkOwnPaths(bundle, scratch string) error {
	if scratch != "" && (scratch == bundle || mount.Below(bundle, scratch)) {
		return prot.Errorf(prot.HrInvalidArg, "ScratchDirPath %q holds the container's OciBundlePath %q", scratch, bundle)
	}
	return nil
}

// checkOthersPaths refuses c's bundle, scratch or virtual pod root where
// another container already has one of these, or above or below one. The one
// exception is the shared scratch of a pod: a workload container's scratch
// may be below its sandbox's scratch directory (<sandbox bundle>/scratch,
// hcsshim's Root/c/<sandbox>/scratch/<id>), and nowhere else in the
// sandbox's bundle: its rootfs, sandboxMounts, sandboxTmpfsMounts and
// hugepages are written by the pod's containers, which could swap a parent
// of the scratch for a link.
// Called with c in the table, so that two Creates racing for the same
// directory cannot both pass.
func (h *Host) checkOthersPaths(c *Container, sandboxID string) error {
	for _, o := range h.allContainers() {
		if o == c {
			continue
		}
		for _, mine := range []struct{ what, p string }{{"OciBundlePath", c.bundle}, {"ScratchDirPath", c.scratch}, {"virtual pod root", c.virtualRoot}} {
			if mine.p == "" {
				continue
			}
			for _, theirs := range []string{o.bundle, o.scratch, o.virtualRoot} {
				if theirs == "" || !overlaps(mine.p, theirs) {
					continue
				}
				if mine.what == "ScratchDirPath" && theirs == o.bundle && o.id == sandboxID && mount.Below(mine.p, filepath.Join(theirs, podScratchDir)) {
					continue
				}
				if mine.p == c.virtualRoot && theirs == o.virtualRoot && o.sandboxID == sandboxID {
					continue // the same pod id: its registration refuses it as existing
				}
				return prot.Errorf(prot.HrInvalidArg, "%s %q overlaps directory %s of container %s", mine.what, mine.p, theirs, o.id)
			}
		}
	}
	return nil
}

// removeStateDirs removes the container's scratch and bundle once nothing
// is mounted in them or on them any more (an overlay rootfs whose upper
// directory is in the scratch is unmounted first, wherever it is), and
// never across a mount: if one cannot be unmounted, nothing is removed.
func (c *Container) removeStateDirs() []error {
	var dirs []string
	for _, d := range []string{c.scratch, c.bundle, c.podDir} {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	if err := unmountUsing(dirs...); err != nil {
		return []error{fmt.Errorf("unmount what uses %s: %w", strings.Join(dirs, ", "), err)}
	}
	if left, err := mountsUsing(dirs...); err != nil || len(left) > 0 {
		return []error{fmt.Errorf("keep %s: still mounted: %v %w", strings.Join(dirs, ", "), left, err)}
	}
	var errs []error
	for _, d := range dirs {
		if err := c.host.removeStateDir(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// removeStateDir removes dir, a bundle, scratch or pod directory, walking
// to it from its state root through no symbolic link: a pod's containers
// can write some directories below a state root (its sandbox:// ones), and
// one of them swapping a parent of dir for a link must not send the
// removal elsewhere in the utility VM.
func (h *Host) removeStateDir(dir string) error {
	root, err := mount.RootOf(dir, h.stateRoots())
	if err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	if err := mount.RemoveAllBelow(root, dir); err != nil {
		return fmt.Errorf("remove state directory: %w", err)
	}
	return nil
}
