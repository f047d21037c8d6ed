package securitycontext

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mknod makes a character device node under root (this machine has no
// SEV device; the node is never opened).
func mknod(t *testing.T, root, dev string, major, minor uint32) {
	t.Helper()
	path := filepath.Join(root, dev)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(path, unix.S_IFCHR|0o600, int(unix.Mkdev(major, minor))); err != nil {
		if errors.Is(err, unix.EPERM) {
			t.Skip("mknod needs CAP_MKNOD")
		}
		t.Fatal(err)
	}
}

func TestAddSEVDevice(t *testing.T) {
	tests := []struct {
		name    string
		nodes   map[string][2]uint32
		regular string
		want    string
		major   int64
		err     string
	}{
		{"6.x sev-guest", map[string][2]uint32{devSevGuest: {10, 124}}, "", devSevGuest, 10, ""},
		{"5.x sev first", map[string][2]uint32{devSev: {241, 0}, devSevGuest: {10, 124}}, "", devSev, 241, ""},
		{"no device", nil, "", "", 0, "add SEV device"},
		{"not a device", nil, devSevGuest, "", 0, "not a character device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for dev, n := range tt.nodes {
				mknod(t, root, dev, n[0], n[1])
			}
			if tt.regular != "" {
				path := filepath.Join(root, tt.regular)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			spec := &specs.Spec{}
			for range 2 { // a second call adds nothing
				err := AddSEVDevice(spec, root)
				if tt.err != "" {
					if err == nil || !strings.Contains(err.Error(), tt.err) {
						t.Fatalf("error %v, want it to say %q", err, tt.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if len(spec.Linux.Devices) != 1 || len(spec.Linux.Resources.Devices) != 1 {
				t.Fatalf("devices %+v, rules %+v", spec.Linux.Devices, spec.Linux.Resources.Devices)
			}
			d, rule := spec.Linux.Devices[0], spec.Linux.Resources.Devices[0]
			if d.Path != tt.want || d.Type != "c" || d.Major != tt.major || *d.FileMode != 0o600 || *d.UID != 0 {
				t.Fatalf("device %+v", d)
			}
			if !rule.Allow || rule.Type != "c" || *rule.Major != tt.major || *rule.Minor != d.Minor || rule.Access != "rwm" {
				t.Fatalf("rule %+v", rule)
			}
		})
	}
}
