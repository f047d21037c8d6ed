package scsi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAllowedRoots(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "dangling")); err != nil {
		t.Fatal(err)
	}
	m := &Mounter{AllowedRoots: []string{filepath.Join(root, "other"), root}}
	for _, tc := range []struct {
		name, target, device, wantErr string
	}{
		{"outside the roots", filepath.Join(outside, "m"), "/dev/sda", "not below any allowed root"},
		{"the root itself", root, "/dev/sda", "not below any allowed root"},
		{"a sibling sharing a prefix", root + "x/m", "/dev/sda", "not below any allowed root"},
		{"through a symbolic link", filepath.Join(root, "escape", "m"), "/dev/sda", "symbolic link"},
		{"through a dangling link", filepath.Join(root, "dangling", "m"), "/dev/sda", "dangling"},
		{"relative", "mnt/m", "/dev/sda", "not an absolute path"},
		{"unclean", root + "/a/../b", "/dev/sda", "not a clean path"},
		{"relative device", filepath.Join(root, "m"), "sda", "not an absolute path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := m.Mount(t.Context(), tc.device, tc.target, MountOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Mount: %v, want an error mentioning %q", err, tc.wantErr)
			}
			if tc.device == "/dev/sda" {
				if err := m.Unmount(t.Context(), tc.target); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Unmount: %v, want an error mentioning %q", err, tc.wantErr)
				}
			}
			if _, err := os.Stat(filepath.Join(outside, "m")); err == nil {
				t.Fatal("created a directory outside the roots")
			}
		})
	}
}

func TestUnmountNothing(t *testing.T) {
	root := t.TempDir()
	m := &Mounter{AllowedRoots: []string{root}}
	for _, target := range []string{filepath.Join(root, "never"), root + "/empty"} {
		if target == root+"/empty" {
			if err := os.Mkdir(target, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Unmount(t.Context(), target); err != nil {
			t.Fatalf("Unmount(%s): %v", target, err)
		}
	}
}

func TestCryptName(t *testing.T) {
	a, b := CryptName("/run/mounts/scsi/m1"), CryptName("/run/mounts/scsi/m2")
	if a == b || a != CryptName("/run/mounts/scsi/m1") || !strings.HasPrefix(a, "gcs-crypt-") || len(a) > 127 {
		t.Fatalf("crypt names %q and %q", a, b)
	}
}
