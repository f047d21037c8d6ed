package hcsv2

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// Annotations the reference honours on Linux containers.
const (
	annotationVirtualPodID = "io.microsoft.cri.virtual-pod-id"
	annotationSkipPodNet   = "io.microsoft.cri.skip-pod-networking"
	annotationPrivileged   = "io.microsoft.virtualmachine.lcow.privileged"
	annotationHostNetwork  = "io.microsoft.virtualmachine.lcow.hostnetwork"
	annotationShmSizeKB    = "io.microsoft.lcow.shm.size-kb"
	annotationRlimitCore   = "io.microsoft.lcow.rlimitcore"
)

// hostnamePattern is what the reference accepts as a sandbox or standalone
// hostname (empty: the utility VM's). validHostname checks it by hand: as a
// package regexp its 255 repetitions cost every start of the daemon
// milliseconds and a quarter MiB to compile.
const hostnamePattern = `^[a-zA-Z0-9_\-\.]{0,255}$`

// validHostname reports whether h matches hostnamePattern.
func validHostname(h string) bool {
	if len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// checkHostname refuses a hostname that would not make a sane hosts file.
func checkHostname(h string) error {
	if !validHostname(h) {
		return prot.Errorf(prot.HrFail, "hostname %q invalid: must match %s", h, hostnamePattern)
	}
	return nil
}

// annotationBool reads a boolean annotation; a value that does not parse
// is false, as the reference (which logs it).
func annotationBool(spec *oci.Spec, key string) bool {
	v, err := strconv.ParseBool(spec.Annotations[key])
	return err == nil && v
}

// applyAnnotations makes the changes the reference derives from a
// workload container's annotations: the /dev/shm size, the core rlimit
// and, for a privileged container, every device of the utility VM with an
// allow-all device cgroup. Devices the spec names are otherwise completed
// from the nodes under devRoot.
func applyAnnotations(spec *oci.Spec, devRoot string) error {
	if v, ok := spec.Annotations[annotationShmSizeKB]; ok {
		if err := setShmSize(spec, v); err != nil {
			return err
		}
	}
	if v := spec.Annotations[annotationRlimitCore]; v != "" {
		if err := addCoreRlimit(spec, v); err != nil {
			return err
		}
	}
	if annotationBool(spec, annotationPrivileged) {
		return addAllDevices(spec, devRoot)
	}
	return completeDevices(spec, devRoot)
}

// setShmSize replaces the /dev/shm mount by a tmpfs of sizeKB KiB.
func setShmSize(spec *oci.Spec, sizeKB string) error {
	n, err := strconv.ParseUint(sizeKB, 10, 64)
	if err != nil || n == 0 {
		return prot.Errorf(prot.HrFail, "annotation %s: /dev/shm size must be a positive integer, got %q", annotationShmSizeKB, sizeKB)
	}
	kept := spec.Mounts[:0]
	for _, m := range spec.Mounts {
		if filepath.Clean(m.Destination) != "/dev/shm" {
			kept = append(kept, m)
		}
	}
	spec.Mounts = append(kept, oci.Mount{
		Destination: "/dev/shm",
		Type:        "tmpfs",
		Source:      "shm",
		Options:     []string{"nosuid", "noexec", "nodev", "mode=1777", fmt.Sprintf("size=%dk", n)},
	})
	return nil
}

// addCoreRlimit adds RLIMIT_CORE from "soft;hard".
func addCoreRlimit(spec *oci.Spec, v string) error {
	soft, hard, ok := strings.Cut(v, ";")
	s, err1 := strconv.ParseUint(soft, 10, 64)
	h, err2 := strconv.ParseUint(hard, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return prot.Errorf(prot.HrFail, "annotation %s: want \"soft;hard\", got %q", annotationRlimitCore, v)
	}
	spec.Process.Rlimits = append(spec.Process.Rlimits, oci.POSIXRlimit{Type: "RLIMIT_CORE", Soft: s, Hard: h})
	return nil
}

// skipDevDirs are the /dev directories whose nodes are never handed to a
// privileged container (as runc's own host device list).
var skipDevDirs = map[string]bool{"pts": true, "shm": true, "fd": true, "mqueue": true, ".lxc": true, ".lxd-mounts": true, ".udev": true}

// addAllDevices gives a privileged container every device node under
// devRoot and an allow-all device cgroup.
func addAllDevices(spec *oci.Spec, devRoot string) error {
	err := filepath.WalkDir(devRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a node that vanished, or an unreadable directory
		}
		if d.IsDir() {
			if p != devRoot && skipDevDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&(fs.ModeDevice) == 0 || p == filepath.Join(devRoot, "console") {
			return nil
		}
		rel, _ := filepath.Rel(devRoot, p)
		if dev, ok := deviceNode(p, "/dev/"+rel); ok {
			addDevice(spec, dev)
		}
		return nil
	})
	if err != nil {
		return prot.Errorf(prot.HrFail, "list devices of %s: %w", devRoot, err)
	}
	ensureResources(spec).Devices = []oci.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	return nil
}

// completeDevices fills in each device the spec names from the utility
// VM's node of that path (type, numbers, mode, owner) and allows it in the
// device cgroup, as the reference does.
func completeDevices(spec *oci.Spec, devRoot string) error {
	named := spec.Linux.Devices
	spec.Linux.Devices = nil
	for _, d := range named {
		p := filepath.Clean(d.Path)
		if p != "/dev" && !strings.HasPrefix(p, "/dev/") {
			return prot.Errorf(prot.HrFail, "device %q is not below /dev", d.Path)
		}
		dev, err := deviceNodeBelow(devRoot, p)
		if err != nil {
			return prot.Errorf(prot.HrFail, "device %s: %w", d.Path, err)
		}
		addDevice(spec, dev)
		m, n := dev.Major, dev.Minor
		res := ensureResources(spec)
		res.Devices = append(res.Devices, oci.LinuxDeviceCgroup{Allow: true, Type: dev.Type, Major: &m, Minor: &n, Access: "rwm"})
	}
	return nil
}

// deviceNodeBelow describes the device node of path p, a clean path below
// /dev, as found in devRoot: walked from devRoot one component at a time
// without following a symbolic link anywhere (mount.OpenDirBelow, then
// fstatat(AT_SYMLINK_NOFOLLOW) of the last), so that a link in the middle
// of the path, in or out of devRoot, never leads to a node elsewhere.
func deviceNodeBelow(devRoot, p string) (oci.LinuxDevice, error) {
	full := filepath.Join(devRoot, strings.TrimPrefix(p, "/dev"))
	if full == devRoot {
		return oci.LinuxDevice{}, errors.New("not a device node")
	}
	dir, err := mount.OpenDirBelow(devRoot, filepath.Dir(full))
	if err != nil {
		return oci.LinuxDevice{}, fmt.Errorf("look up the device node in the utility VM: %w", err)
	}
	defer dir.Close()
	var st unix.Stat_t
	if err := unix.Fstatat(int(dir.Fd()), filepath.Base(full), &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return oci.LinuxDevice{}, fmt.Errorf("look up the device node in the utility VM: %w", err)
	}
	dev, ok := deviceOf(&st, p)
	if !ok {
		return oci.LinuxDevice{}, errors.New("no such device node in the utility VM (not a block or character device)")
	}
	return dev, nil
}

// deviceNode describes the device node at p (never through a link) as
// path inside the container.
func deviceNode(p, path string) (oci.LinuxDevice, bool) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return oci.LinuxDevice{}, false
	}
	return deviceOf(&st, path)
}

// deviceOf describes the device node st, a block or character device, as
// path inside the container.
func deviceOf(st *unix.Stat_t, path string) (oci.LinuxDevice, bool) {
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFBLK:
		typ = "b"
	case unix.S_IFCHR:
		typ = "c"
	default:
		return oci.LinuxDevice{}, false
	}
	mode := os.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	return oci.LinuxDevice{
		Path: path, Type: typ,
		Major: int64(unix.Major(uint64(st.Rdev))), Minor: int64(unix.Minor(uint64(st.Rdev))),
		FileMode: &mode, UID: &uid, GID: &gid,
	}, true
}

// addDevice adds dev to the spec unless a device of that path is there.
func addDevice(spec *oci.Spec, dev oci.LinuxDevice) {
	for _, d := range spec.Linux.Devices {
		if d.Path == dev.Path {
			return
		}
	}
	spec.Linux.Devices = append(spec.Linux.Devices, dev)
}
