package testutil

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestBusyboxRootfs(t *testing.T) {
	rootfs := BusyboxRootfs(t)
	tests := []struct {
		path    string
		symlink bool
	}{
		{"bin/busybox", false},
		{"bin/sh", true},
		{"bin/sleep", true},
		{"etc/passwd", false},
		{"etc/group", false},
		{"etc/hostname", false},
		{"proc", false},
		{"tmp", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			fi, err := os.Lstat(filepath.Join(rootfs, tt.path))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode()&os.ModeSymlink != 0; got != tt.symlink {
				t.Errorf("%s is symlink = %v, want %v", tt.path, got, tt.symlink)
			}
		})
	}
	if static, err := isStaticELF(filepath.Join(rootfs, "bin/busybox")); err != nil || !static {
		t.Errorf("copied busybox static = %v, %v", static, err)
	}
}

func TestSpec(t *testing.T) {
	s := Spec("/rootfs", "sleep", "1")
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if s.Root.Path != "/rootfs" || len(s.Process.Args) != 2 || s.Process.Terminal {
		t.Errorf("unexpected spec basics: %+v", s)
	}
	if len(s.Linux.Namespaces) != 5 || len(s.Mounts) != 6 || s.Linux.CgroupsPath != "" {
		t.Errorf("namespaces %d mounts %d cgroupsPath %q", len(s.Linux.Namespaces), len(s.Mounts), s.Linux.CgroupsPath)
	}
	// Each capability set is its own slice.
	s.Process.Capabilities.Bounding[0] = "CHANGED"
	if s.Process.Capabilities.Effective[0] == "CHANGED" {
		t.Error("capability sets share their backing array")
	}
}
