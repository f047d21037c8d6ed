package scsi

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
)

func hasOptional(e mount.Entry, prefix string) bool {
	return slices.ContainsFunc(e.Optional, func(o string) bool { return strings.HasPrefix(o, prefix) })
}

func TestMount(t *testing.T) {
	const xfsSize = 512 << 20 // mkfs.xfs wants at least 300 MiB
	for _, tc := range []struct {
		name     string
		disk     diskOptions
		opts     MountOptions
		wantFS   string
		wantRO   bool
		wantMkfs int32
		optional string // an optional mountinfo field prefix the mount must have
		without  string // ... and one it must not have
		wantErr  string
	}{
		{name: "ext4 read-write", disk: diskOptions{fs: "ext4"}, wantFS: "ext4"},
		{name: "ext4 read-only adds noload", disk: diskOptions{fs: "ext4"}, opts: MountOptions{ReadOnly: true}, wantFS: "ext4", wantRO: true},
		{name: "xfs detected", disk: diskOptions{fs: "xfs", size: xfsSize}, wantFS: "xfs"},
		{name: "xfs read-only", disk: diskOptions{fs: "xfs", size: xfsSize}, opts: MountOptions{ReadOnly: true}, wantFS: "xfs", wantRO: true},
		{name: "without VMBus", disk: diskOptions{fs: "ext4", noVMBus: true}, wantFS: "ext4"},
		{name: "ensure ext4 formats a blank disk", opts: MountOptions{EnsureFilesystem: true}, wantFS: "ext4", wantMkfs: 1},
		{name: "ensure xfs formats a blank disk", disk: diskOptions{size: xfsSize}, opts: MountOptions{EnsureFilesystem: true, Filesystem: "xfs"}, wantFS: "xfs", wantMkfs: 1},
		{name: "ensure ext4 keeps ext4", disk: diskOptions{fs: "ext4"}, opts: MountOptions{EnsureFilesystem: true}, wantFS: "ext4"},
		{name: "ensure xfs keeps xfs", disk: diskOptions{fs: "xfs", size: xfsSize}, opts: MountOptions{EnsureFilesystem: true, Filesystem: "xfs"}, wantFS: "xfs"},
		{name: "ensure ext4 over xfs reformats", disk: diskOptions{fs: "xfs", size: xfsSize}, opts: MountOptions{EnsureFilesystem: true, Filesystem: "ext4"}, wantFS: "ext4", wantMkfs: 1},
		{name: "forced ext4", disk: diskOptions{fs: "ext4"}, opts: MountOptions{Filesystem: "ext4"}, wantFS: "ext4"},
		{name: "forced xfs on ext4 fails", disk: diskOptions{fs: "ext4"}, opts: MountOptions{Filesystem: "xfs"}, wantErr: "(xfs"},
		{name: "blank disk without ensure", wantErr: "(ext4"},
		{name: "rshared", disk: diskOptions{fs: "ext4"}, opts: MountOptions{Options: []string{"rshared"}}, wantFS: "ext4", optional: "shared:"},
		{name: "private then shared", disk: diskOptions{fs: "ext4"}, opts: MountOptions{Options: []string{"private", "shared"}}, wantFS: "ext4", optional: "shared:"},
		{name: "rprivate", disk: diskOptions{fs: "ext4"}, opts: MountOptions{Options: []string{"rshared", "rprivate"}}, wantFS: "ext4", without: "shared:"},
		{name: "unbindable", disk: diskOptions{fs: "ext4"}, opts: MountOptions{Options: []string{"runbindable"}}, wantFS: "ext4", optional: "unbindable"},
		{name: "other options refused", disk: diskOptions{fs: "ext4"}, opts: MountOptions{Options: []string{"rshared", "noexec"}}, wantErr: `"noexec" is not supported`},
		{name: "ro option refused", disk: diskOptions{fs: "ext4"}, opts: MountOptions{Options: []string{"ro"}}, wantErr: "only propagation flags"},
		{name: "unknown format refused", opts: MountOptions{EnsureFilesystem: true, Filesystem: "btrfs"}, wantErr: "only ext4 and xfs"},
		{name: "BlockDev with Encrypted refused", opts: MountOptions{BlockDev: true, Encrypted: true}, wantErr: "cannot be combined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.disk.fs == "xfs" || tc.opts.Filesystem == "xfs" {
				mounttest.RequireTool(t, "mkfs.xfs")
			}
			d := newDisk(t, tc.disk)
			target := d.target("m")
			err := d.mount(t, 0, target, tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				if _, ok := mounttest.Mounted(t, target); ok {
					t.Fatal("failed Mount left a mount behind")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e, ok := mounttest.Mounted(t, target)
			if !ok {
				t.Fatal("not mounted")
			}
			if e.FSType != tc.wantFS {
				t.Errorf("file system %s, want %s", e.FSType, tc.wantFS)
			}
			if got := strings.HasPrefix(e.Options, "ro"); got != tc.wantRO {
				t.Errorf("mount options %q, want read-only %v", e.Options, tc.wantRO)
			}
			if tc.wantRO && !strings.Contains(e.SuperOptions, "norecovery") {
				t.Errorf("read-only mount without noload/norecovery: %q", e.SuperOptions)
			}
			if n := d.mkfsRuns.Load(); n != tc.wantMkfs {
				t.Errorf("mkfs ran %d times, want %d", n, tc.wantMkfs)
			}
			if tc.optional != "" && !hasOptional(e, tc.optional) {
				t.Errorf("optional fields %q lack %q", e.Optional, tc.optional)
			}
			if tc.without != "" && hasOptional(e, tc.without) {
				t.Errorf("optional fields %q have %q", e.Optional, tc.without)
			}
			err = os.WriteFile(filepath.Join(target, "f"), []byte("x"), 0o644)
			if tc.wantRO != errors.Is(err, unix.EROFS) {
				t.Errorf("write: %v (read-only %v)", err, tc.wantRO)
			}
			d.unmount(t, target)
			if fi, err := os.Lstat(target); err != nil || !fi.IsDir() {
				t.Errorf("the mount point is its maker's to remove: %v", err)
			}
		})
	}
}

func TestEnsureFilesystemKeepsData(t *testing.T) {
	for _, fs := range []string{"ext4", "xfs"} {
		t.Run(fs, func(t *testing.T) {
			if fs == "xfs" {
				mounttest.RequireTool(t, "mkfs.xfs")
			}
			d := newDisk(t, diskOptions{size: 512 << 20})
			target := d.target("scratch")
			o := MountOptions{EnsureFilesystem: true, Filesystem: fs}
			for i := range 3 {
				if err := d.mount(t, 0, target, o); err != nil {
					t.Fatalf("mount %d: %v", i, err)
				}
				p := filepath.Join(target, "kept")
				if i == 0 {
					if err := os.WriteFile(p, []byte("data"), 0o644); err != nil {
						t.Fatal(err)
					}
				} else if b, err := os.ReadFile(p); err != nil || string(b) != "data" {
					t.Fatalf("mount %d: file written before reads %q, %v", i, b, err)
				}
				d.unmount(t, target)
			}
			if n := d.mkfsRuns.Load(); n != 1 {
				t.Fatalf("mkfs ran %d times, want once", n)
			}
		})
	}
}

func TestPartition(t *testing.T) {
	d := newDisk(t, diskOptions{partitions: [][2]uint32{{2048, 32768}, {34816, 65536}}})
	for _, p := range []uint64{1, 2} {
		dev := d.device(t, p)
		if want := PartitionName(filepath.Base(d.loop), p); filepath.Base(dev) != want {
			t.Fatalf("partition %d is %s, want %s", p, dev, want)
		}
		target := d.target(filepath.Base(dev))
		if err := d.mount(t, p, target, MountOptions{EnsureFilesystem: true}); err != nil {
			t.Fatal(err)
		}
		e, _ := mounttest.Mounted(t, target)
		if e.Source != dev {
			t.Errorf("mounted %s, want %s", e.Source, dev)
		}
		size, err := mount.DeviceSize(dev)
		if err != nil {
			t.Fatal(err)
		}
		if want := []uint64{32768 * 512, 65536 * 512}[p-1]; size != want {
			t.Errorf("partition %d is %d bytes, want %d", p, size, want)
		}
	}
}

func TestBlockDev(t *testing.T) {
	d := newDisk(t, diskOptions{})
	dev := d.device(t, 0)
	target := d.target("block")
	if err := d.mount(t, 0, target, MountOptions{BlockDev: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.Readlink(target); err != nil || got != dev {
		t.Fatalf("link to %q (%v), want %s", got, err, dev)
	}
	if _, ok := mounttest.Mounted(t, target); ok {
		t.Fatal("BlockDev mounted something")
	}
	if err := d.m.Mount(t.Context(), dev, target, MountOptions{BlockDev: true}); err != nil {
		t.Fatalf("repeated BlockDev: %v", err)
	}
	for range 2 {
		if err := d.m.Unmount(t.Context(), target); err != nil {
			t.Fatal(err)
		}
		if got, err := os.Readlink(target); err != nil || got != dev {
			t.Fatalf("the link is its maker's to remove: %q %v", got, err)
		}
		if _, err := os.Stat(dev); err != nil {
			t.Fatalf("device gone with the link: %v", err)
		}
	}
}

func TestMountTwiceRefused(t *testing.T) {
	d := newDisk(t, diskOptions{fs: "ext4"})
	target := d.target("twice")
	if err := d.mount(t, 0, target, MountOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := d.mount(t, 0, target, MountOptions{}); err == nil || !strings.Contains(err.Error(), "already a mount point") {
		t.Fatalf("second Mount: %v", err)
	}
}
