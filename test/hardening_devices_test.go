package test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// pathsVictimMount mounts a tmpfs outside the daemon's roots, standing in
// for any VM mount a hostile host message could aim at, and returns it.
func pathsVictimMount(t *testing.T) string {
	t.Helper()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.Mkdir(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", victim, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(victim, unix.MNT_DETACH) })
	return victim
}

// pathsMounted reports whether p is a mount point.
func pathsMounted(t *testing.T, p string) bool {
	t.Helper()
	_, ok, err := mount.Lookup(p)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestHardeningPathsDeviceRemoveConfined aims every Remove at a mount
// outside the daemon's roots, directly, through a linked directory and
// through a link at the target itself: none may unmount it, and no link
// the GCS did not make is deleted.
func TestHardeningPathsDeviceRemoveConfined(t *testing.T) {
	f := testutil.NewFakeDevices(t)
	h := newHostEnv(t, "runc", f.Args()...)
	plan9 := func(p string) any { return &prot.LCOWMappedDirectory{MountPath: p} }
	layers := func(p string) any { return &prot.LCOWCombinedLayers{ContainerRootPath: p} }
	pmem := func(p string) any { return &prot.LCOWMappedVPMemDevice{MountPath: p} }
	disk := func(p string) any { return &prot.LCOWMappedVirtualDisk{MountPath: p} }
	const (
		outside = iota // the victim mount itself
		viaDir         // roots/links/out/victim, out a link to its parent
		atLink         // roots/links/mnt, a link to the victim
	)
	for _, tc := range []struct {
		name     string
		typ      prot.ResourceType
		settings func(string) any
		via      int
	}{
		{"Plan 9 outside the roots", prot.ResourceTypeMappedDirectory, plan9, outside},
		{"Plan 9 through a linked directory", prot.ResourceTypeMappedDirectory, plan9, viaDir},
		{"Plan 9 at a link", prot.ResourceTypeMappedDirectory, plan9, atLink},
		{"CombinedLayers outside the roots", prot.ResourceTypeCombinedLayers, layers, outside},
		{"CombinedLayers through a linked directory", prot.ResourceTypeCombinedLayers, layers, viaDir},
		{"CombinedLayers at a link", prot.ResourceTypeCombinedLayers, layers, atLink},
		{"pmem outside the roots", prot.ResourceTypeVPMemDevice, pmem, outside},
		{"pmem through a linked directory", prot.ResourceTypeVPMemDevice, pmem, viaDir},
		{"pmem at a link", prot.ResourceTypeVPMemDevice, pmem, atLink},
		{"SCSI through a linked directory", prot.ResourceTypeMappedVirtualDisk, disk, viaDir},
		{"SCSI at a link", prot.ResourceTypeMappedVirtualDisk, disk, atLink},
	} {
		t.Run(tc.name, func(t *testing.T) {
			victim := pathsVictimMount(t)
			links, err := os.MkdirTemp(h.root, "links-")
			if err != nil {
				t.Fatal(err)
			}
			out, mnt := filepath.Join(links, "out"), filepath.Join(links, "mnt")
			for link, to := range map[string]string{out: filepath.Dir(victim), mnt: victim} {
				if err := os.Symlink(to, link); err != nil {
					t.Fatal(err)
				}
			}
			target := []string{victim, filepath.Join(out, filepath.Base(victim)), mnt}[tc.via]
			err = h.modify(prot.RequestTypeRemove, tc.typ, tc.settings(target))
			// At a link the Remove may succeed, as one of nothing mounted.
			if tc.via != atLink && client.HResult(err) != prot.HrFail {
				t.Errorf("remove: %v, want E_FAIL", err)
			}
			if !pathsMounted(t, victim) {
				t.Fatalf("the VM mount %s was unmounted", victim)
			}
			for _, l := range []string{out, mnt} {
				if _, err := os.Readlink(l); err != nil {
					t.Errorf("link %s, not the GCS's, was removed: %v", l, err)
				}
			}
		})
	}
}

// TestHardeningPathsCombinedLayersAddConfined offers CombinedLayers whose
// layer, scratch or mount point is outside the daemon's roots or reached
// through a link: each is refused and nothing is mounted or made.
func TestHardeningPathsCombinedLayersAddConfined(t *testing.T) {
	h := newHostEnv(t, "runc")
	outside := t.TempDir()
	link := filepath.Join(h.root, "out")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	layerOut := t.TempDir() // a directory of the VM's, outside the roots
	if err := os.Mkdir(filepath.Join(layerOut, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	layerLink := filepath.Join(h.root, "layerlink")
	if err := os.Symlink(layerOut, layerLink); err != nil {
		t.Fatal(err)
	}
	inside := func(name string) string { return filepath.Join(h.root, "layered", name) }
	for _, tc := range []struct {
		name   string
		layers *prot.LCOWCombinedLayers
	}{
		{"a VM directory as a layer", &prot.LCOWCombinedLayers{ContainerRootPath: inside("etc"), Layers: []prot.Layer{{Path: "/etc"}}}},
		{"a layer that is a link", &prot.LCOWCombinedLayers{ContainerRootPath: inside("ln"), Layers: []prot.Layer{{Path: layerLink}}}},
		{"a layer through a linked directory", &prot.LCOWCombinedLayers{ContainerRootPath: inside("ld"), Layers: []prot.Layer{{Path: filepath.Join(layerLink, "sub")}}}},
		{"mount point outside", &prot.LCOWCombinedLayers{ContainerRootPath: filepath.Join(outside, "rootfs"), Layers: []prot.Layer{{Path: h.layer}}}},
		{"mount point through a link", &prot.LCOWCombinedLayers{ContainerRootPath: filepath.Join(link, "rootfs"), Layers: []prot.Layer{{Path: h.layer}}}},
		{"scratch outside", &prot.LCOWCombinedLayers{ContainerRootPath: inside("s"), Layers: []prot.Layer{{Path: h.layer}}, ScratchPath: filepath.Join(outside, "scratch")}},
		{"scratch through a link", &prot.LCOWCombinedLayers{ContainerRootPath: inside("sl"), Layers: []prot.Layer{{Path: h.layer}}, ScratchPath: filepath.Join(link, "scratch")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, tc.layers)
			if err == nil {
				unix.Unmount(tc.layers.ContainerRootPath, unix.MNT_DETACH)
			}
			if client.HResult(err) != prot.HrFail {
				t.Errorf("add: %v, want E_FAIL", err)
			}
			if pathsMounted(t, tc.layers.ContainerRootPath) {
				t.Errorf("%s mounted", tc.layers.ContainerRootPath)
			}
			if entries, _ := os.ReadDir(outside); len(entries) > 0 {
				t.Errorf("%s made outside the roots", entries[0].Name())
			}
		})
	}
}

// TestHardeningPathsDeviceRemoveKeepsForeignDirs mounts a SCSI disk and a
// pmem device on directories that existed before and on fresh ones:
// Remove deletes the fresh mount points the GCS made, never the others.
func TestHardeningPathsDeviceRemoveKeepsForeignDirs(t *testing.T) {
	f := testutil.NewFakeDevices(t)
	f.AddDisk(t, 2, "sdp", layerImage(t, "x", "x"))
	f.AddNode(t, "pmem1", layerImage(t, "y", "y"))
	h := newHostEnv(t, "runc", f.Args()...)
	pre := func(name string) string {
		p := filepath.Join(h.root, "pre", name)
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name     string
		typ      prot.ResourceType
		settings any
		target   string
		made     bool
	}{
		{"SCSI on an existing directory", prot.ResourceTypeMappedVirtualDisk, &prot.LCOWMappedVirtualDisk{MountPath: pre("disk"), Lun: 2, ReadOnly: true}, pre("disk"), false},
		{"SCSI on a fresh directory", prot.ResourceTypeMappedVirtualDisk, &prot.LCOWMappedVirtualDisk{MountPath: filepath.Join(h.root, "fresh", "disk"), Lun: 2, ReadOnly: true}, filepath.Join(h.root, "fresh", "disk"), true},
		{"pmem on an existing directory", prot.ResourceTypeVPMemDevice, &prot.LCOWMappedVPMemDevice{DeviceNumber: 1, MountPath: pre("pmem")}, pre("pmem"), false},
		{"pmem on a fresh directory", prot.ResourceTypeVPMemDevice, &prot.LCOWMappedVPMemDevice{DeviceNumber: 1, MountPath: filepath.Join(h.root, "fresh", "pmem")}, filepath.Join(h.root, "fresh", "pmem"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := h.modify(prot.RequestTypeAdd, tc.typ, tc.settings); err != nil {
				t.Fatal(err)
			}
			if !pathsMounted(t, tc.target) {
				t.Fatalf("%s not mounted", tc.target)
			}
			if err := h.modify(prot.RequestTypeRemove, tc.typ, tc.settings); err != nil {
				t.Fatal(err)
			}
			if pathsMounted(t, tc.target) {
				t.Fatalf("%s still mounted", tc.target)
			}
			_, err := os.Lstat(tc.target)
			if tc.made && err == nil {
				t.Errorf("mount point %s the GCS made was kept", tc.target)
			}
			if !tc.made && err != nil {
				t.Errorf("directory %s that was there before was removed: %v", tc.target, err)
			}
		})
	}
}

// TestHardeningPathsFailedAddLeavesNoMountPoint makes a SCSI disk, a pmem
// device and a Plan 9 share Add fail after the GCS made their mount point
// (a disk without a file system, a pmem device that is not there, a share
// whose server hangs up): each fresh mount point is gone again, and a
// directory that was there before stays.
func TestHardeningPathsFailedAddLeavesNoMountPoint(t *testing.T) {
	h := failingDevicesHost(t)
	for i, tc := range failingDeviceAdds(t, h) {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/existing=%t", tc.name, existing), func(t *testing.T) {
				target := filepath.Join(h.root, "failed", fmt.Sprintf("%d-%t", i, existing))
				if existing {
					if err := os.MkdirAll(target, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				if err := h.modify(prot.RequestTypeAdd, tc.typ, tc.settings(target)); client.HResult(err) != prot.HrFail {
					t.Fatalf("add: %v, want E_FAIL", err)
				}
				if pathsMounted(t, target) {
					t.Fatalf("%s mounted", target)
				}
				_, err := os.Lstat(target)
				if !existing && err == nil {
					t.Errorf("the failed Add left its mount point %s", target)
				}
				if existing && err != nil {
					t.Errorf("directory %s that was there before was removed: %v", target, err)
				}
			})
		}
	}
}

// TestHardeningPathsFailedOverlayAddLeavesNoScratchDirs makes a writable
// CombinedLayers Add fail in the kernel after the GCS made the scratch's
// upper and work directories (the one layer listed twice, refused once
// overlayfs made work/work): what the GCS made for it is gone again, and
// upper and work directories that were there before stay with their files.
func TestHardeningPathsFailedOverlayAddLeavesNoScratchDirs(t *testing.T) {
	h := newHostEnv(t, "runc")
	for i, existing := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing=%t", existing), func(t *testing.T) {
			base := filepath.Join(h.root, "failed-overlay", fmt.Sprint(i))
			scratch, target := filepath.Join(base, "scratch"), filepath.Join(base, "rootfs")
			upper, work := filepath.Join(scratch, "upper"), filepath.Join(scratch, "work")
			if existing {
				for _, d := range []string{upper, work} {
					if err := os.MkdirAll(d, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(d, "kept"), nil, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, &prot.LCOWCombinedLayers{
				ContainerRootPath: target, ScratchPath: scratch, Layers: []prot.Layer{{Path: h.layer}, {Path: h.layer}},
			})
			if client.HResult(err) != prot.HrFail {
				if err == nil {
					h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, &prot.LCOWCombinedLayers{ContainerRootPath: target})
				}
				t.Fatalf("overlay of one layer twice: %v, want E_FAIL", err)
			}
			if pathsMounted(t, target) {
				t.Fatalf("%s mounted", target)
			}
			if existing {
				for _, d := range []string{upper, work} {
					if _, err := os.Stat(filepath.Join(d, "kept")); err != nil {
						t.Errorf("%s that was there before: %v", d, err)
					}
				}
				return
			}
			if _, err := os.Lstat(base); err == nil {
				entries, _ := filepath.Glob(filepath.Join(base, "*", "*"))
				t.Errorf("the failed Add left %s behind (%q)", base, entries)
			}
		})
	}
}
