package testutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// NoLeaks registers a cleanup that fails the test if mounts remain under
// root (per /proc/self/mountinfo) or containers remain in the runtime
// state directory runtimeRoot (a directory per container, for runc and
// crun alike). Call it before creating what it checks, so that its cleanup
// runs after theirs. An empty argument skips that check.
func NoLeaks(t testing.TB, root, runtimeRoot string) {
	t.Helper()
	t.Cleanup(func() {
		if root != "" {
			ms, err := mounts()
			if err != nil {
				t.Errorf("checking for leaked mounts: %v", err)
			}
			prefix := filepath.Clean(root)
			for _, m := range ms {
				if m.Point == prefix || strings.HasPrefix(m.Point, prefix+"/") {
					t.Errorf("leaked mount %s (%s)", m.Point, m.FSType)
				}
			}
		}
		if runtimeRoot != "" {
			entries, err := os.ReadDir(runtimeRoot)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("checking for leaked containers: %v", err)
			}
			for _, e := range entries {
				if e.IsDir() {
					t.Errorf("leaked container %q in %s", e.Name(), runtimeRoot)
				}
			}
		}
	})
}
