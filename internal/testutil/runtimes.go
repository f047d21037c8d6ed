package testutil

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

const (
	cgroupRoot    = "/sys/fs/cgroup"
	cgroupUnified = "/sys/fs/cgroup/unified"
)

// Runtimes returns the paths of the OCI runtimes available among runc and
// crun, skipping the test if there is none. A runtime counts as available
// when `--version` works.
//
// crun 1.8 refuses to run on a hybrid cgroup layout while any controller
// is enabled in the cgroup2 hierarchy ("cgroups in hybrid mode not
// supported, drop all controllers from cgroupv2"). Runtimes checks that
// same condition, reading /sys/fs/cgroup/unified/cgroup.controllers, and
// binds every controller listed there to its own v1 hierarchy under
// /sys/fs/cgroup (here: hugetlb), which moves it out of cgroup2. The mount
// is made under a lock and only when missing, and it is left in place on
// purpose: test packages run in parallel processes and any of them may
// still be using it, the layout it gives is the normal v1 one for that
// controller, and runc works with it as well. crun is left out, with a log
// line, if that fails.
func Runtimes(t testing.TB) []string {
	t.Helper()
	var found []string
	for _, name := range []string{"runc", "crun"} {
		path, err := exec.LookPath(name)
		if err != nil {
			t.Logf("runtime %s not available: %v", name, err)
			continue
		}
		if out, err := exec.Command(path, "--version").CombinedOutput(); err != nil {
			t.Logf("runtime %s not usable: %v: %s", path, commandError(path+" --version", err), out)
			continue
		}
		if name == "crun" {
			if err := dropCgroup2Controllers(); err != nil {
				t.Logf("runtime %s not usable on this hybrid cgroup layout: %v", path, err)
				continue
			}
		}
		found = append(found, path)
	}
	if len(found) == 0 {
		t.Skip("skipping: neither runc nor crun is installed")
	}
	return found
}

// dropCgroup2Controllers mounts a v1 hierarchy for every controller that
// the cgroup2 hierarchy of a hybrid layout has, so none is left there.
func dropCgroup2Controllers() error {
	controllers, err := cgroup2Controllers()
	if err != nil || len(controllers) == 0 {
		return err
	}
	// Serialise with other test processes doing the same.
	lock, err := os.Open(cgroupRoot)
	if err != nil {
		return fmt.Errorf("opening %s to lock it: %w", cgroupRoot, err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", cgroupRoot, err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)

	for _, c := range controllers {
		if err := mountV1Controller(c); err != nil {
			return err
		}
	}
	left, err := cgroup2Controllers()
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("controllers %v still in %s", left, cgroupUnified)
	}
	return nil
}

// cgroup2Controllers lists the controllers of the cgroup2 hierarchy when
// the layout is hybrid (v1 at /sys/fs/cgroup, cgroup2 at .../unified).
func cgroup2Controllers() ([]string, error) {
	var root, unified unix.Statfs_t
	if err := unix.Statfs(cgroupRoot, &root); err != nil {
		return nil, nil // no cgroups at all: nothing crun would object to
	}
	if root.Type == unix.CGROUP2_SUPER_MAGIC {
		return nil, nil // unified layout
	}
	if err := unix.Statfs(cgroupUnified, &unified); err != nil || unified.Type != unix.CGROUP2_SUPER_MAGIC {
		return nil, nil // pure v1 layout
	}
	b, err := os.ReadFile(filepath.Join(cgroupUnified, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("reading cgroup2 controllers: %w", err)
	}
	return strings.Fields(string(b)), nil
}

// mountV1Controller mounts controller c at /sys/fs/cgroup/<c> unless that
// is a mount point already.
func mountV1Controller(c string) error {
	dir := filepath.Join(cgroupRoot, c)
	mounted, err := isMountPoint(dir)
	if err != nil || mounted {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := unix.Mount("cgroup", dir, "cgroup", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, c); err != nil {
		return fmt.Errorf("mounting the %s cgroup v1 hierarchy at %s: %w", c, dir, err)
	}
	return nil
}
