package testutil

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// CgroupParent returns a unique absolute cgroup path for the test, such as
// "/gcs-test-1f2e3d4c5b6a7988", to put containers' linux.cgroupsPath under.
// Its directories in every mounted cgroup v1 hierarchy and in the cgroup2
// one are removed in t.Cleanup, deepest first, retrying briefly since a
// cgroup empties asynchronously after its last process dies.
func CgroupParent(t testing.TB) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("generating cgroup name: %v", err)
	}
	parent := "/gcs-test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if err := removeCgroup(parent, 10*time.Second); err != nil {
			t.Errorf("removing cgroup %s: %v", parent, err)
		}
	})
	return parent
}

// cgroupMountPoints returns the mount points of all cgroup hierarchies.
func cgroupMountPoints() ([]string, error) {
	ms, err := mounts()
	if err != nil {
		return nil, err
	}
	var points []string
	for _, m := range ms {
		if m.FSType == "cgroup" || m.FSType == "cgroup2" {
			points = append(points, m.Point)
		}
	}
	return points, nil
}

// removeCgroup removes path and the cgroups below it in every hierarchy.
func removeCgroup(path string, timeout time.Duration) error {
	points, err := cgroupMountPoints()
	if err != nil {
		return err
	}
	var dirs []string
	for _, p := range points {
		top := filepath.Join(p, path)
		err := filepath.WalkDir(top, func(d string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				dirs = append(dirs, d)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	// Deepest first: a cgroup with children cannot be removed.
	sort.SliceStable(dirs, func(i, j int) bool {
		return strings.Count(dirs[i], "/") > strings.Count(dirs[j], "/")
	})
	deadline := time.Now().Add(timeout)
	var errs []error
	for _, d := range dirs {
		if err := rmdirRetry(d, deadline); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func rmdirRetry(dir string, deadline time.Time) error {
	for {
		err := unix.Rmdir(dir)
		if err == nil || err == unix.ENOENT {
			return nil
		}
		if err != unix.EBUSY || time.Now().After(deadline) {
			procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
			return &os.PathError{Op: "rmdir (procs: " + strings.Join(strings.Fields(string(procs)), " ") + ")", Path: dir, Err: err}
		}
		time.Sleep(20 * time.Millisecond)
	}
}
