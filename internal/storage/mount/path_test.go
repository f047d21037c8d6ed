package mount

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for _, l := range []struct{ name, to string }{
		{"escape", outside},
		{"inside", filepath.Join(root, "real")},
		{"dangling", filepath.Join(root, "missing")},
	} {
		if err := os.Symlink(l.to, filepath.Join(root, l.name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, target string
		roots        []string
		wantErr      string
	}{
		{"no roots", "/anything/at/all", nil, ""},
		{"below a root", root + "/a/b", []string{root}, ""},
		{"below the second root", root + "/a", []string{"/run/mounts", root}, ""},
		{"below slash", "/x", []string{"/"}, ""},
		{"through a link that stays inside", root + "/inside/m", []string{root}, "symbolic link"},
		{"the target itself a link", root + "/escape", []string{root}, ""},
		{"the root itself", root, []string{root}, "not below"},
		{"a sibling with the root as prefix", root + "-x/m", []string{root}, "not below"},
		{"outside", outside + "/m", []string{root}, "not below"},
		{"through a link out", root + "/escape/m", []string{root}, "symbolic link"},
		{"through a dangling link", root + "/dangling/m", []string{root}, "symbolic link"},
		{"through a link deeper down", root + "/real/x/m", []string{root}, ""},
		{"through a file", root + "/file/m", []string{root}, "not a directory"},
		{"relative", "a/b", nil, "not an absolute path"},
		{"empty", "", nil, "not an absolute path"},
		{"unclean", root + "/a/../../etc", []string{root}, "not a clean path"},
		{"trailing slash", root + "/a/", []string{root}, "not a clean path"},
		{"relative root", root + "/a", []string{"run"}, "allowed root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTarget(tc.target, tc.roots)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestCheckPropagation(t *testing.T) {
	for _, tc := range []struct {
		opts []string
		bad  string
	}{
		{nil, ""},
		{[]string{"shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable"}, ""},
		{[]string{"rshared", "ro"}, "ro"},
		{[]string{"noexec"}, "noexec"},
		{[]string{"Rshared"}, "Rshared"},
		{[]string{""}, `""`},
	} {
		err := CheckPropagation(tc.opts)
		if (err == nil) != (tc.bad == "") || (err != nil && !strings.Contains(err.Error(), tc.bad)) {
			t.Errorf("CheckPropagation(%q) = %v", tc.opts, err)
		}
	}
}
