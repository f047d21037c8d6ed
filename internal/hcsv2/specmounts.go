package hcsv2

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// Mount sources (and, for blockdev, destinations) that name something in
// the utility VM rather than a path, as hcsshim's host writes them.
const (
	sandboxMountPrefix    = "sandbox://"     // a directory shared by the pod's containers
	sandboxTmpMountPrefix = "sandbox-tmp://" // the same, on the pod's tmpfs
	hugePagesMountPrefix  = "hugepages://"   // hugepages://<size>/<path>: a hugetlbfs of that page size
	blockDevMountPrefix   = "blockdev://"    // destination prefix: the source is a link to a block device
	uvmMountPrefix        = "uvm://"         // a path of the utility VM itself
)

// Directories of the sandbox root that back the special mounts.
const (
	sandboxMountsDir = "sandboxMounts"
	sandboxTmpfsDir  = "sandboxTmpfsMounts"
	hugePagesDir     = "hugepages"
)

// hugePageSize is the page size part of a hugepages:// source ("2M", "1G").
var hugePageSize = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{1,6}[KMG]B?$`) })

// makePodDirs creates the sandbox root's special mount directories, below
// the root and through no symbolic link, with the tmpfs that backs
// sandbox-tmp:// mounts. They go with the sandbox's bundle (see
// removeStateDirs, which unmounts what is below it first).
func makePodDirs(root string) error {
	for _, d := range []string{sandboxMountsDir, sandboxTmpfsDir, hugePagesDir} {
		if err := mount.MkdirBelow(root, filepath.Join(root, d), 0o755); err != nil {
			return fmt.Errorf("create sandbox directory: %w", err)
		}
	}
	tmp := filepath.Join(root, sandboxTmpfsDir)
	if err := unix.Mount("tmpfs", tmp, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755"); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", tmp, err)
	}
	return nil
}

// rewriteMounts turns the special mount sources of a workload container
// into paths of the utility VM, creating the sandbox directories they
// name below the pod's root, through no symbolic link. devRoot is the
// directory block devices must be found in.
func rewriteMounts(spec *oci.Spec, podRoot, devRoot string) error {
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		var err error
		switch {
		case strings.HasPrefix(m.Source, sandboxTmpMountPrefix):
			m.Source, err = sandboxSource(filepath.Join(podRoot, sandboxTmpfsDir), m.Source, sandboxTmpMountPrefix)
		case strings.HasPrefix(m.Source, sandboxMountPrefix):
			m.Source, err = sandboxSource(filepath.Join(podRoot, sandboxMountsDir), m.Source, sandboxMountPrefix)
		case strings.HasPrefix(m.Source, hugePagesMountPrefix):
			m.Source, err = hugePagesSource(filepath.Join(podRoot, hugePagesDir), m.Source)
		case strings.HasPrefix(m.Source, uvmMountPrefix):
			m.Source, err = uvmSource(m.Source)
		}
		if err == nil && strings.HasPrefix(m.Destination, blockDevMountPrefix) {
			err = blockDevMount(spec, m, devRoot)
		}
		if err != nil {
			return prot.Errorf(prot.HrFail, "mount %s: %w", m.Destination, err)
		}
	}
	return nil
}

// below joins the part of src after prefix to dir and refuses a result
// that is not dir or below it ("sandbox://../x").
func below(dir, src, prefix string) (string, error) {
	p := filepath.Join(dir, strings.TrimPrefix(src, prefix))
	if p != dir && !mount.Below(p, dir) {
		return "", fmt.Errorf("source %q leaves %s", src, dir)
	}
	return p, nil
}

// sandboxSource resolves a sandbox:// or sandbox-tmp:// source into dir,
// creating the directory (mode 0777, as the reference) if needed.
func sandboxSource(dir, src, prefix string) (string, error) {
	p, err := below(dir, src, prefix)
	if err != nil {
		return "", err
	}
	if err := mount.MkdirBelow(dir, p, 0o777); err != nil {
		return "", err
	}
	return p, nil
}

// hugePagesSource resolves hugepages://<size>/<path> into dir and mounts a
// hugetlbfs of that page size there the first time.
func hugePagesSource(dir, src string) (string, error) {
	sub := strings.TrimPrefix(src, hugePagesMountPrefix)
	size, _, _ := strings.Cut(sub, "/")
	if !hugePageSize().MatchString(size) {
		return "", fmt.Errorf("source %q: bad huge page size %q", src, size)
	}
	p, err := below(dir, src, hugePagesMountPrefix)
	if err != nil {
		return "", err
	}
	if p == dir {
		return "", fmt.Errorf("source %q names no directory", src)
	}
	if _, ok, err := mount.Lookup(p); err != nil {
		return "", err
	} else if ok {
		return p, nil
	}
	if err := mount.MkdirBelow(dir, p, 0o777); err != nil {
		return "", err
	}
	if err := unix.Mount("none", p, "hugetlbfs", unix.MS_NOSUID|unix.MS_NODEV, "pagesize="+size); err != nil {
		return "", fmt.Errorf("mount hugetlbfs on %s: %w", p, err)
	}
	return p, nil
}

// uvmSource resolves uvm://<path>: a clean absolute path of the utility VM
// that exists. The GCS creates and removes nothing there.
func uvmSource(src string) (string, error) {
	p := strings.TrimPrefix(src, uvmMountPrefix)
	if err := mount.CheckPath(p); err != nil {
		return "", fmt.Errorf("source %q: %w", src, err)
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("source %q: %w", src, err)
	}
	return p, nil
}

// blockDevMount handles a blockdev:// destination: the source is the link
// a SCSI Add with BlockDev made, to a block device below devRoot. The
// mount gets the device itself as its source, the destination loses its
// prefix, and the device cgroup allows the device (read-only for an "ro"
// mount).
func blockDevMount(spec *oci.Spec, m *oci.Mount, devRoot string) error {
	target, err := os.Readlink(m.Source)
	if err != nil {
		return fmt.Errorf("block device link: %w", err)
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(m.Source), target)
	}
	target = filepath.Clean(target)
	if !mount.Below(target, filepath.Clean(devRoot)) {
		return fmt.Errorf("block device link %s points to %s, outside %s", m.Source, target, devRoot)
	}
	var st unix.Stat_t
	if err := unix.Lstat(target, &st); err != nil {
		return fmt.Errorf("block device %s: %w", target, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return fmt.Errorf("%s is not a block device", target)
	}
	access := "rwm"
	for _, o := range m.Options {
		if o == "ro" {
			access = "r"
		}
	}
	major, minor := int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev)))
	res := ensureResources(spec)
	res.Devices = append(res.Devices, oci.LinuxDeviceCgroup{Allow: true, Type: "b", Major: &major, Minor: &minor, Access: access})
	m.Source = target
	m.Destination = strings.TrimPrefix(m.Destination, blockDevMountPrefix)
	return nil
}

// ensureResources returns the spec's linux.resources, made if missing.
func ensureResources(spec *oci.Spec) *oci.LinuxResources {
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &oci.LinuxResources{}
	}
	return spec.Linux.Resources
}
