// Package mounttest provides what the storage packages' tests need from the
// kernel: loop devices (through ioctls, so no losetup is needed), partition
// tables and file system images, and probes that skip a test, with a clear
// message, when the kernel lacks device-mapper or 9p. It is imported only
// from _test.go files; its tests run as root, here or in the test VM.
package mounttest

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// RequireRoot skips t unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (mounts, loop devices)")
	}
}

// RequireTool returns the path of the command name, or skips t if it is
// not installed.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed: %v", name, err)
	}
	return p
}

// Require9P skips t unless the kernel has the 9p file system.
func Require9P(t testing.TB) {
	t.Helper()
	RequireRoot(t)
	b, err := os.ReadFile("/proc/filesystems")
	if err != nil {
		t.Skipf("cannot tell whether the kernel has 9p: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[len(f)-1] == "9p" {
			return
		}
	}
	t.Skip("kernel has no 9p file system (not in /proc/filesystems); this test runs in the test VM")
}

// RequireDeviceMapper skips t unless the kernel has device-mapper and its
// control node /dev/mapper/control can be opened.
func RequireDeviceMapper(t testing.TB) {
	t.Helper()
	RequireRoot(t)
	f, err := os.OpenFile("/dev/mapper/control", os.O_RDWR, 0)
	if err == nil {
		f.Close()
		return
	}
	listed := false
	for _, p := range []string{"/proc/misc", "/proc/devices"} {
		if b, rerr := os.ReadFile(p); rerr == nil && bytes.Contains(b, []byte("device-mapper")) {
			listed = true
		}
	}
	if listed {
		t.Skipf("kernel has device-mapper but /dev/mapper/control cannot be opened: %v", err)
	}
	t.Skip("kernel has no device-mapper (not in /proc/misc or /proc/devices, no /dev/mapper/control); this test runs in the test VM")
}

// SparseFile creates a sparse file of size bytes in a new temporary
// directory and returns its path.
func SparseFile(t testing.TB, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return p
}

// Mkfs formats path (an image file or a device) with fstype, "ext4" (4 KiB
// blocks) or "xfs", skipping t if the mkfs command is not installed.
func Mkfs(t testing.TB, fstype, path string) {
	t.Helper()
	var cmd *exec.Cmd
	switch fstype {
	case mount.Ext4:
		cmd = exec.Command(RequireTool(t, "mkfs.ext4"), "-q", "-F", "-b", "4096", "-E", "nodiscard", path)
	case mount.XFS:
		cmd = exec.Command(RequireTool(t, "mkfs.xfs"), "-q", "-f", "-K", path)
	default:
		t.Fatalf("mkfs: unsupported file system %q", fstype)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
}

// MBR writes to the image file at path an MS-DOS partition table with one
// Linux partition per [start, length) pair, both in 512-byte sectors.
func MBR(t testing.TB, path string, parts ...[2]uint32) {
	t.Helper()
	if len(parts) > 4 {
		t.Fatal("MBR: at most 4 primary partitions")
	}
	mbr := make([]byte, 512)
	for i, p := range parts {
		e := mbr[446+16*i : 446+16*(i+1)]
		copy(e[1:4], []byte{0xfe, 0xff, 0xff}) // CHS unused: LBA only
		e[4] = 0x83                            // Linux
		copy(e[5:8], []byte{0xfe, 0xff, 0xff})
		binary.LittleEndian.PutUint32(e[8:], p[0])
		binary.LittleEndian.PutUint32(e[12:], p[1])
	}
	mbr[510], mbr[511] = 0x55, 0xaa
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(mbr, 0); err != nil {
		t.Fatal(err)
	}
}
