package overlay

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func isMounted(t *testing.T, target string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[4] == target {
			return true
		}
	}
	return false
}

func layer(t *testing.T, dir, file, content string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMountAndUnmount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	for _, tc := range []struct {
		name     string
		layers   int
		scratch  bool
		writable bool
	}{
		{"two layers read-only", 2, false, false},
		{"one layer read-only (bind)", 1, false, false},
		{"one layer with scratch", 1, true, true},
		{"three layers with scratch", 3, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var layers []string
			for i := 0; i < tc.layers; i++ {
				// Layer 0 is on top: its "shared" file wins.
				layers = append(layers, layer(t, filepath.Join(dir, "l", string(rune('a'+i))), "shared", string(rune('a'+i))))
				layer(t, layers[i], "only-"+string(rune('a'+i)), "x")
			}
			scratch := ""
			if tc.scratch {
				scratch = filepath.Join(dir, "scratch")
			}
			target := filepath.Join(dir, "rootfs")
			if err := Mount(layers, scratch, target, []string{dir}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { Unmount(context.Background(), target, nil) })
			if !isMounted(t, target) {
				t.Fatal("not mounted")
			}
			if b, _ := os.ReadFile(filepath.Join(target, "shared")); string(b) != "a" {
				t.Fatalf("top layer file reads %q", b)
			}
			for i := range layers {
				if _, err := os.Stat(filepath.Join(target, "only-"+string(rune('a'+i)))); err != nil {
					t.Fatalf("layer %d not visible: %v", i, err)
				}
			}
			err := os.WriteFile(filepath.Join(target, "new"), []byte("n"), 0o644)
			if tc.writable != (err == nil) {
				t.Fatalf("write into rootfs: %v (writable %v)", err, tc.writable)
			}
			if tc.writable {
				if _, err := os.Stat(filepath.Join(scratch, "upper", "new")); err != nil {
					t.Fatalf("write did not land in scratch: %v", err)
				}
				if _, err := os.Stat(filepath.Join(layers[0], "new")); err == nil {
					t.Fatal("write reached a lower layer")
				}
			}
			if err := Unmount(t.Context(), target, nil); err != nil {
				t.Fatal(err)
			}
			if isMounted(t, target) {
				t.Fatal("still mounted")
			}
			if err := Unmount(t.Context(), target, nil); err != nil {
				t.Fatalf("second unmount: %v", err)
			}
		})
	}
}

func TestMountRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	good := layer(t, filepath.Join(dir, "good"), "f", "x")
	// With '\' dropped the kernel would open other and sx (made here so
	// that the mount could succeed) instead of what was checked.
	escaped := layer(t, filepath.Join(dir, `o\ther`), "f", "x")
	layer(t, filepath.Join(dir, "other"), "f", "x")
	for _, d := range []string{"sx/upper", "sx/work"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(good, "f")
	for _, tc := range []struct {
		name    string
		layers  []string
		scratch string
		target  string
	}{
		{"no layers", nil, "", filepath.Join(dir, "t")},
		{"relative layer", []string{"rel/layer"}, "", filepath.Join(dir, "t")},
		{"unclean layer", []string{good + "/../good"}, "", filepath.Join(dir, "t")},
		{"missing layer", []string{filepath.Join(dir, "missing")}, "", filepath.Join(dir, "t")},
		{"layer is a file", []string{file}, "", filepath.Join(dir, "t")},
		{"colon in layer", []string{dir + "/a:b"}, "", filepath.Join(dir, "t")},
		{"relative target", []string{good}, "", "rootfs"},
		{"comma in scratch", []string{good}, dir + "/s,x", filepath.Join(dir, "t")},
		{"backslash in layer", []string{escaped, good}, "", filepath.Join(dir, "t")},
		{"backslash in scratch", []string{good}, dir + `/s\x`, filepath.Join(dir, "t")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Mount(tc.layers, tc.scratch, tc.target, nil); err == nil {
				Unmount(t.Context(), tc.target, nil)
				t.Fatal("accepted")
			}
		})
	}
}

func TestMountConfined(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	good := layer(t, filepath.Join(root, "good"), "f", "x")
	if err := os.Symlink(outside, filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(good, filepath.Join(root, "goodlink")); err != nil {
		t.Fatal(err)
	}
	roots := []string{root}
	for _, tc := range []struct {
		name            string
		layers          []string
		scratch, target string
	}{
		{"VM directory as a layer", []string{"/etc"}, "", filepath.Join(root, "t")},
		{"layer is a link", []string{filepath.Join(root, "goodlink")}, "", filepath.Join(root, "t")},
		{"target outside", []string{good}, "", filepath.Join(outside, "t")},
		{"target through a link", []string{good}, "", filepath.Join(root, "out", "t")},
		{"scratch outside", []string{good}, filepath.Join(outside, "s"), filepath.Join(root, "t")},
		{"scratch through a link", []string{good}, filepath.Join(root, "out", "s"), filepath.Join(root, "t")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Mount(tc.layers, tc.scratch, tc.target, roots); err == nil {
				Unmount(t.Context(), tc.target, nil)
				t.Fatal("accepted")
			}
			if entries, _ := os.ReadDir(outside); len(entries) > 0 {
				t.Errorf("made %s outside the roots", entries[0].Name())
			}
		})
	}
	if err := Unmount(t.Context(), "/proc", roots); err == nil {
		t.Error("unmount outside the roots accepted")
	}
}

// TestMountBelowMissingRoot: a fresh VM has no GCS root yet (/run/gcs): a
// confined Mount makes it, then the scratch and target below it.
func TestMountBelowMissingRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	dir := t.TempDir()
	good := layer(t, filepath.Join(dir, "layers", "a"), "f", "x")
	root := filepath.Join(dir, "run", "gcs")
	target := filepath.Join(root, "c", "id", "rootfs")
	if err := Mount([]string{good}, filepath.Join(root, "c", "id", "scratch"), target, []string{root, filepath.Join(dir, "layers")}); err != nil {
		t.Fatalf("Mount below a root not made yet: %v", err)
	}
	defer Unmount(t.Context(), target, nil)
	if _, err := os.Stat(filepath.Join(target, "f")); err != nil {
		t.Errorf("the layer's file is not in the overlay: %v", err)
	}
}
