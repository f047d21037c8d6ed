package overlay

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestMountBackslashNotUnescaped: overlayfs takes '\' as an escape in its
// mount data and drops it from lowerdir, upperdir and workdir. A layer or
// scratch named R/x\y (a real directory, no link anywhere) would have the
// kernel open R/xy instead: here a link to a directory outside the roots,
// which would become the root file system or receive the container's
// writes. Mount must refuse such a path (making nothing) or mount exactly
// the directory it checked.
func TestMountBackslashNotUnescaped(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	for _, tc := range []struct {
		name string
		// scratch puts the backslash in the scratch; otherwise in the
		// top layer.
		scratch bool
	}{
		{name: "layer"},
		{name: "scratch", scratch: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			root := filepath.Join(dir, "root")
			outside := layer(t, filepath.Join(dir, "outside"), "secret", "the UVM's secret")
			for _, d := range []string{"upper", "work"} {
				if err := os.MkdirAll(filepath.Join(outside, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			base := layer(t, filepath.Join(root, "base"), "base", "x")
			if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
				t.Fatal(err)
			}
			escaped := filepath.Join(root, `l\ink`)
			layers, scratch := []string{base}, ""
			if tc.scratch {
				scratch = escaped
			} else {
				layers = []string{layer(t, escaped, "innocent", "x"), base}
			}
			target := filepath.Join(root, "target")
			err := Mount(layers, scratch, target, []string{root})
			if err != nil {
				t.Logf("refused: %v", err)
				if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("a refused Mount left its target: %v", err)
				}
				if _, err := os.Lstat(filepath.Join(escaped, "upper")); tc.scratch && !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("a refused Mount made the scratch's upper directory: %v", err)
				}
				return
			}
			t.Cleanup(func() { Unmount(t.Context(), target, nil) })
			if b, err := os.ReadFile(filepath.Join(target, "secret")); err == nil {
				t.Errorf("the overlay at %s shows %s through the link %s/link: secret=%q", target, outside, root, b)
			}
			if !tc.scratch {
				if _, err := os.Stat(filepath.Join(target, "innocent")); err != nil {
					t.Errorf("the checked layer's file is not in the overlay: %v", err)
				}
				return
			}
			if err := os.WriteFile(filepath.Join(target, "written"), []byte("by the container"), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(outside, "upper", "written")); err == nil {
				t.Errorf("a file written in the overlay landed in %s/upper, outside the roots", outside)
			}
		})
	}
}
