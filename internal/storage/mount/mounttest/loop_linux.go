package mounttest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// LoopOptions tune Loop.
type LoopOptions struct {
	ReadOnly  bool
	PartScan  bool   // scan the partition table: partitions appear as <dev>p<N>
	Offset    uint64 // bytes of the file to skip
	SizeLimit uint64 // bytes of the file to expose from Offset, 0 for all
}

// Loop attaches the file at path to a free loop device and returns the
// device's path (/dev/loopN). The device auto-clears: it is released when
// the test's cleanup closes it and nothing else (a mount) holds it, and
// also if the test process dies.
func Loop(t testing.TB, path string, o LoopOptions) string {
	t.Helper()
	RequireRoot(t)
	dev, f, err := attach(path, o)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("no loop devices: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return dev
}

// attach attaches the file at path to a free auto-clearing loop device and
// returns the device's path and an open file of it: closing that releases
// the device once nothing else holds it.
func attach(path string, o LoopOptions) (string, *os.File, error) {
	flags := os.O_RDWR
	if o.ReadOnly {
		flags = os.O_RDONLY
	}
	backing, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return "", nil, err
	}
	defer backing.Close()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return "", nil, err
	}
	defer ctl.Close()
	cfg := unix.LoopConfig{Fd: uint32(backing.Fd())}
	cfg.Info.Flags = unix.LO_FLAGS_AUTOCLEAR
	if o.ReadOnly {
		cfg.Info.Flags |= unix.LO_FLAGS_READ_ONLY
	}
	if o.PartScan {
		cfg.Info.Flags |= unix.LO_FLAGS_PARTSCAN
	}
	cfg.Info.Offset, cfg.Info.Sizelimit = o.Offset, o.SizeLimit
	copy(cfg.Info.File_name[:], filepath.Base(path))
	for attempt := 0; ; attempt++ {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", nil, fmt.Errorf("find a free loop device: %w", err)
		}
		dev := fmt.Sprintf("/dev/loop%d", n)
		f, err := openNode(dev, flags)
		if err != nil {
			return "", nil, fmt.Errorf("open %s: %w", dev, err)
		}
		err = unix.IoctlLoopConfigure(int(f.Fd()), &cfg)
		if errors.Is(err, unix.EBUSY) && attempt < 20 {
			f.Close() // another process took it first
			continue
		}
		if err != nil {
			f.Close()
			return "", nil, fmt.Errorf("attach %s to %s: %w", path, dev, err)
		}
		return dev, f, nil
	}
}

// openNode opens a device node, waiting briefly for devtmpfs or udev to
// create it.
func openNode(dev string, flags int) (*os.File, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		f, err := os.OpenFile(dev, flags, 0)
		if err == nil || !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return f, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Partitions returns the nodes of the n partitions of the loop device dev
// attached with PartScan to the image path. Where the kernel does not
// parse the image's partition table (no MS-DOS partition support), it
// attaches each partition's byte range of path (from parts, in sectors)
// to a loop device of its own instead, and logs that it does.
func Partitions(t testing.TB, dev, path string, parts ...[2]uint32) []string {
	t.Helper()
	var nodes []string
	for i := range parts {
		p := fmt.Sprintf("%sp%d", dev, i+1)
		f, err := openNode(p, os.O_RDONLY)
		if err != nil {
			break
		}
		f.Close()
		nodes = append(nodes, p)
	}
	if len(nodes) == len(parts) {
		return nodes
	}
	t.Logf("kernel did not scan the partitions of %s: standing in offset loop devices for them", dev)
	nodes = nodes[:0]
	for _, p := range parts {
		nodes = append(nodes, Loop(t, path, LoopOptions{Offset: uint64(p[0]) * 512, SizeLimit: uint64(p[1]) * 512}))
	}
	return nodes
}

// WriteFiles mounts the file system fstype on device at a temporary
// directory, writes files (name to content) there and unmounts it.
func WriteFiles(t testing.TB, device, fstype string, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount(device, dir, fstype, 0, ""); err != nil {
		t.Fatalf("mount %s (%s) at %s: %v", device, fstype, dir, err)
	}
	defer mount.Unmount(t.Context(), dir)
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Unmount(dir, 0); err != nil {
		t.Fatalf("unmount %s: %v", dir, err)
	}
}

// Mounted returns the topmost mount at point, failing t if mountinfo
// cannot be read.
func Mounted(t testing.TB, point string) (mount.Entry, bool) {
	t.Helper()
	e, ok, err := mount.Lookup(point)
	if err != nil {
		t.Fatal(err)
	}
	return e, ok
}
