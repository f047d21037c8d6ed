package mount

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRemoveMade(t *testing.T) {
	root := t.TempDir()
	roots := []string{root}
	made, err := MakeDirs(filepath.Join(root, "a", "b", "c"), roots, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if len(made) != 3 {
		t.Fatalf("made %v, want a, a/b, a/b/c", made)
	}
	// Someone else's file in a/b keeps a/b and a.
	if err := os.WriteFile(filepath.Join(root, "a", "b", "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RemoveMade(made, roots); err == nil {
		t.Error("RemoveMade reported no directory left")
	}
	if _, err := os.Lstat(filepath.Join(root, "a", "b", "c")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the empty directory stayed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "a", "b", "f")); err != nil {
		t.Errorf("a directory that was not empty went: %v", err)
	}
	// A link in place of a made directory is neither followed nor removed.
	outside := t.TempDir()
	if err := os.Mkdir(filepath.Join(outside, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(root, "a"), filepath.Join(root, "a.old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "a")); err != nil {
		t.Fatal(err)
	}
	if err := RemoveMade(made, roots); err == nil {
		t.Error("RemoveMade through a link succeeded")
	}
	if err := RemoveMountPoint(filepath.Join(root, "a", "b"), roots); err == nil {
		t.Error("RemoveMountPoint through a link succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "b")); err != nil {
		t.Errorf("a link was followed: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "a")); err != nil {
		t.Errorf("the link went: %v", err)
	}
	if err := RemoveMountPoint(filepath.Join(root, "a"), roots); err != nil {
		t.Errorf("RemoveMountPoint of a link: %v", err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the link's target went: %v", err)
	}
}

// In a fresh utility VM the allowed roots (/run/mounts, /run/gcs) do not
// exist yet: a target's parent that is a root itself is made, and is not
// among the directories to remove (it is the GCS's own).
func TestMakeDirsMissingRoot(t *testing.T) {
	base := t.TempDir()
	tests := []struct {
		name, root, p string
		wantMade      int
	}{
		{"the root itself", "mounts", "mounts", 0},
		{"below a missing root", "layers", "layers/m1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, p := filepath.Join(base, tt.root), filepath.Join(base, tt.p)
			made, err := MakeDirs(p, []string{root}, 0o755)
			if err != nil || len(made) != tt.wantMade {
				t.Fatalf("MakeDirs(%s) = %v, %v; want %d made", p, made, err, tt.wantMade)
			}
			if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
				t.Errorf("%s not made: %v", p, err)
			}
		})
	}
}
