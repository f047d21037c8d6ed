package mount

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestMkdirBelow(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../", filepath.Join(root, "rel")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, p string
		ok      bool
	}{
		{"new nested dirs", filepath.Join(root, "a/b/c"), true},
		{"root itself", root, true},
		{"existing", filepath.Join(root, "a/b"), true},
		{"through an absolute link", filepath.Join(root, "abs/x"), false},
		{"through a relative link", filepath.Join(root, "rel/x"), false},
		{"the link itself", filepath.Join(root, "abs"), false},
		{"through a file", filepath.Join(root, "file/x"), false},
		{"outside", filepath.Join(outside, "x"), false},
		{"unclean", root + "/a/../../x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := MkdirBelow(root, tt.p, 0o777)
			if (err == nil) != tt.ok {
				t.Fatalf("MkdirBelow(%s) = %v, want ok=%v", tt.p, err, tt.ok)
			}
		})
	}
	fi, err := os.Stat(filepath.Join(root, "a/b/c"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o777 {
		t.Errorf("mode %v, want 0777 whatever the umask", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("created outside root: %v", entries)
	}
}

// TestMkdirBelowMade: the directories it reports are exactly those it
// created, parents first; at a link it stops having made nothing.
func TestMkdirBelowMade(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, p string
		link    string // made below root before the call, pointing outside
		want    []string
		ok      bool
	}{
		{"all new", "a/b", "", []string{"a", "a/b"}, true},
		{"below an existing one", "old/c/d", "", []string{"old/c", "old/c/d"}, true},
		{"existing", "old", "", nil, true},
		{"stopped at a link", "x/lnk/y", "x/lnk", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.link != "" {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(root, tc.link)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(t.TempDir(), filepath.Join(root, tc.link)); err != nil {
					t.Fatal(err)
				}
			}
			made, err := MkdirBelowMade(root, filepath.Join(root, tc.p), 0o755)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, filepath.Join(root, w))
			}
			if fmt.Sprint(made) != fmt.Sprint(want) {
				t.Fatalf("made %v, want %v", made, want)
			}
		})
	}
}
