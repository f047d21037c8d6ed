package mount

import (
	"os"
	"path/filepath"
	"testing"
)

// writeFileIn writes name in dir, opened with OpenDirBelow from dir's
// parent.
func writeFileIn(dir, name string, data []byte, perm uint32) error {
	d, err := OpenDirBelow(filepath.Dir(dir), dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return WriteFileAt(d, name, data, perm)
}

// WriteFileAt replaces what is at the name, a link included, without
// writing through it, and leaves no temporary file behind.
func TestWriteFileAt(t *testing.T) {
	for _, tt := range []struct {
		name string
		at   string // what is at dir/f first: "", "file", "link", "dangling link", "dir"
		ok   bool
	}{
		{name: "new file", ok: true},
		{name: "existing file", at: "file", ok: true},
		{name: "link to a file outside", at: "link", ok: true},
		{name: "dangling link", at: "dangling link", ok: true},
		{name: "directory", at: "dir"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, outside := t.TempDir(), t.TempDir()
			victim, f := filepath.Join(outside, "victim"), filepath.Join(dir, "f")
			if err := os.WriteFile(victim, []byte("ORIGINAL"), 0o644); err != nil {
				t.Fatal(err)
			}
			var err error
			switch tt.at {
			case "file":
				err = os.WriteFile(f, []byte("old"), 0o644)
			case "link":
				err = os.Symlink(victim, f)
			case "dangling link":
				err = os.Symlink(victim+".none", f)
			case "dir":
				err = os.Mkdir(f, 0o755)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := writeFileIn(dir, "f", []byte("new"), 0o640); (err == nil) != tt.ok {
				t.Fatalf("WriteFileAt = %v, want ok=%v", err, tt.ok)
			}
			if b, _ := os.ReadFile(victim); string(b) != "ORIGINAL" {
				t.Errorf("written through the link: victim holds %q", b)
			}
			if _, err := os.Lstat(victim + ".none"); !os.IsNotExist(err) {
				t.Errorf("dangling link's target created: %v", err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("dir holds %d entries, want only f", len(entries))
			}
			if !tt.ok {
				return
			}
			st, err := os.Lstat(f)
			if err != nil {
				t.Fatal(err)
			}
			if !st.Mode().IsRegular() || st.Mode().Perm() != 0o640 {
				t.Errorf("f has mode %v, want a regular file of 0640", st.Mode())
			}
			if b, _ := os.ReadFile(f); string(b) != "new" {
				t.Errorf("f holds %q", b)
			}
		})
	}
}

// name must be one component; a directory opened through a link is
// refused before WriteFileAt is reached.
func TestWriteFileAtRefuses(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, dir, file string }{
		{"linked directory", filepath.Join(dir, "l"), "f"},
		{"path for a name", dir, "l/f"},
		{"dot-dot", dir, ".."},
		{"empty name", dir, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := writeFileIn(tt.dir, tt.file, []byte("x"), 0o644); err == nil {
				t.Fatal("write succeeded")
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("written outside: %d entries", len(entries))
			}
		})
	}
}
