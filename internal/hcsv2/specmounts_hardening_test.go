package hcsv2

import (
	"os"
	"path/filepath"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// A blockdev:// mount's source is the link a SCSI Add with BlockDev made,
// to a block device node in the device root. Neither the link nor the
// node may be reached through a symbolic link in the middle of their
// paths: a link swapped in on the way to the source (a container that can
// write there) would have the GCS read a link of the container's, and a
// link on the way to the node, in or out of the device root, would hand
// the container a block device found elsewhere.
func TestBlockDevMountFollowsNoLink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making device nodes needs root")
	}
	dev, outside, links := t.TempDir(), t.TempDir(), t.TempDir()
	for _, p := range []string{filepath.Join(dev, "blk"), filepath.Join(dev, "sub", "blk"), filepath.Join(outside, "blk")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		minor := uint32(200)
		if filepath.Dir(p) == outside {
			minor = 201 // numbers that tell it from the device root's
		}
		if err := unix.Mknod(p, unix.S_IFBLK|0o600, int(unix.Mkdev(7, minor))); err != nil {
			t.Skipf("mknod %s: %v", p, err)
		}
	}
	symlink := func(to, at string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(to, at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	symlink(outside, filepath.Join(dev, "out"))                     // a directory link out of the device root
	symlink(filepath.Join(dev, "sub"), filepath.Join(dev, "alias")) // one within it
	// A directory of links reached through a link: the link read is not
	// the one at the path the host named.
	real := filepath.Join(links, "real")
	symlink(filepath.Join(dev, "blk"), filepath.Join(real, "blk"))
	symlink(real, filepath.Join(links, "swapped"))
	for _, tc := range []struct {
		name, source string
		want         string // the node the mount gets; "" refused
	}{
		{"node in the root", symlink(filepath.Join(dev, "blk"), filepath.Join(links, "plain")), filepath.Join(dev, "blk")},
		{"node in a directory of the root", symlink(filepath.Join(dev, "sub", "blk"), filepath.Join(links, "nested")), filepath.Join(dev, "sub", "blk")},
		{"relative link", symlink(filepath.Base(dev)+"/blk", filepath.Join(filepath.Dir(dev), "rel-"+filepath.Base(links))), filepath.Join(dev, "blk")},
		{"node through a link out of the root", symlink(filepath.Join(dev, "out", "blk"), filepath.Join(links, "out")), ""},
		{"node through a link within the root", symlink(filepath.Join(dev, "alias", "blk"), filepath.Join(links, "alias")), ""},
		{"source through a link", filepath.Join(links, "swapped", "blk"), ""},
		{"source not clean", filepath.Join(links, "plain") + "/../plain", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := podTestSpec(nil)
			s.Mounts = []oci.Mount{{Destination: "blockdev:///b", Source: tc.source}}
			// Every link below the tests' common temporary directory,
			// the walk starting there.
			_, err := rewriteMounts(s, t.TempDir(), dev, []string{filepath.Dir(dev)})
			if tc.want == "" {
				if err == nil {
					t.Fatalf("accepted: the mount gets %s", s.Mounts[0].Source)
				}
				t.Logf("refused: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m := s.Mounts[0]; m.Source != tc.want || m.Destination != "/b" {
				t.Errorf("mount %+v, want source %s at /b", m, tc.want)
			}
			rules := s.Linux.Resources.Devices
			if len(rules) != 1 || rules[0].Type != "b" || *rules[0].Major != 7 || *rules[0].Minor != 200 {
				t.Errorf("device cgroup %+v, want b 7:200", rules)
			}
		})
	}
}
