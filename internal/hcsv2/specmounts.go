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

// mountSource is a directory a workload's special mount names in its
// pod's root: rewriteMounts resolves it, and makeMountSources makes it (for
// hugepages:// mounts a hugetlbfs there) once the policy allowed the
// container, so that a refused create makes nothing.
type mountSource struct {
	dest     string // the mount's destination, for errors
	dir      string // the pod's special directory it lies in
	path     string
	pageSize string // hugepages://: the page size of the hugetlbfs mounted at path
}

// rewriteMounts turns the special mount sources of a workload container
// into paths of the utility VM and returns the directories of the pod's
// root they name, which makeMountSources makes. devRoot is the directory
// block devices must be found in, roots the directories devices are
// mounted below (Devices.AllowedRoots), where a blockdev:// source must
// be.
func rewriteMounts(spec *oci.Spec, podRoot, devRoot string, roots []string) ([]mountSource, error) {
	var sources []mountSource
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		src := mountSource{dest: m.Destination}
		var err error
		switch {
		case strings.HasPrefix(m.Source, sandboxTmpMountPrefix):
			src.dir = filepath.Join(podRoot, sandboxTmpfsDir)
			src.path, err = below(src.dir, m.Source, sandboxTmpMountPrefix)
		case strings.HasPrefix(m.Source, sandboxMountPrefix):
			src.dir = filepath.Join(podRoot, sandboxMountsDir)
			src.path, err = below(src.dir, m.Source, sandboxMountPrefix)
		case strings.HasPrefix(m.Source, hugePagesMountPrefix):
			src.dir = filepath.Join(podRoot, hugePagesDir)
			src.path, src.pageSize, err = hugePagesSource(src.dir, m.Source)
		case strings.HasPrefix(m.Source, uvmMountPrefix):
			m.Source, err = uvmSource(m.Source)
		}
		if err == nil && src.path != "" {
			m.Source = src.path
			sources = append(sources, src)
		}
		if err == nil && strings.HasPrefix(m.Destination, blockDevMountPrefix) {
			err = blockDevMount(spec, m, devRoot, roots)
		}
		if err != nil {
			return nil, prot.Errorf(prot.HrFail, "mount %s: %w", m.Destination, err)
		}
	}
	return sources, nil
}

// makeMountSources makes the directories rewriteMounts resolved, below
// their special directory and through no symbolic link (mode 0777, as the
// reference), and mounts a hugetlbfs of its page size at a hugepages://
// source the first time.
func makeMountSources(sources []mountSource) error {
	for _, s := range sources {
		if err := s.make(); err != nil {
			return prot.Errorf(prot.HrFail, "mount %s: %w", s.dest, err)
		}
	}
	return nil
}

func (s mountSource) make() error {
	if s.pageSize != "" {
		if _, ok, err := mount.Lookup(s.path); err != nil || ok {
			return err
		}
	}
	if err := mount.MkdirBelow(s.dir, s.path, 0o777); err != nil {
		return err
	}
	if s.pageSize == "" {
		return nil
	}
	if err := unix.Mount("none", s.path, "hugetlbfs", unix.MS_NOSUID|unix.MS_NODEV, "pagesize="+s.pageSize); err != nil {
		return fmt.Errorf("mount hugetlbfs on %s: %w", s.path, err)
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

// hugePagesSource resolves hugepages://<size>/<path> into dir and returns
// the page size.
func hugePagesSource(dir, src string) (path, size string, err error) {
	sub := strings.TrimPrefix(src, hugePagesMountPrefix)
	size, _, _ = strings.Cut(sub, "/")
	if !hugePageSize().MatchString(size) {
		return "", "", fmt.Errorf("source %q: bad huge page size %q", src, size)
	}
	if path, err = below(dir, src, hugePagesMountPrefix); err != nil {
		return "", "", err
	}
	if path == dir {
		return "", "", fmt.Errorf("source %q names no directory", src)
	}
	return path, size, nil
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
// a SCSI Add with BlockDev made below one of roots (the directories
// devices are mounted in), to a block device below devRoot. The mount
// gets the device itself as its source, the destination loses its
// prefix, and the device cgroup allows the device (read-only for an "ro"
// mount). A source elsewhere is refused: any other link of the VM naming
// a block device (one a container made in a directory it can write, or
// one the host left in the VM's own directories) is not what the host
// attached for this use.
//
// Neither path is followed through a symbolic link on the way: the link
// is read in its directory walked from its root one component at a time
// (readLinkNoFollow), and the node it names is looked up from devRoot the
// same way (deviceNodeBelow), so that a directory a container swapped for
// a link cannot lead either to its own link or to a node elsewhere. The
// runtime then mounts the node by path; devRoot (a devtmpfs in the
// utility VM) is not writable by containers.
func blockDevMount(spec *oci.Spec, m *oci.Mount, devRoot string, roots []string) error {
	target, err := readLinkNoFollow(m.Source, roots)
	if err != nil {
		return fmt.Errorf("block device link: %w", err)
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(m.Source), target)
	}
	target, devRoot = filepath.Clean(target), filepath.Clean(devRoot)
	if !mount.Below(target, devRoot) {
		return fmt.Errorf("block device link %s points to %s, outside %s", m.Source, target, devRoot)
	}
	dev, err := deviceNodeBelow(devRoot, "/dev"+strings.TrimPrefix(target, devRoot))
	if err != nil {
		return fmt.Errorf("block device %s: %w", target, err)
	}
	if dev.Type != "b" {
		return fmt.Errorf("%s is not a block device", target)
	}
	access := "rwm"
	for _, o := range m.Options {
		if o == "ro" {
			access = "r"
		}
	}
	major, minor := dev.Major, dev.Minor
	res := ensureResources(spec)
	res.Devices = append(res.Devices, oci.LinuxDeviceCgroup{Allow: true, Type: "b", Major: &major, Minor: &minor, Access: access})
	m.Source = target
	m.Destination = strings.TrimPrefix(m.Destination, blockDevMountPrefix)
	return nil
}

// readLinkNoFollow reads the symbolic link at p, a clean absolute path
// strictly below one of roots, in its directory opened from that root
// through no symbolic link (mount.OpenDirBelow); with no roots (a GCS
// configured without any) from /.
func readLinkNoFollow(p string, roots []string) (string, error) {
	if err := mount.CheckPath(p); err != nil {
		return "", err
	}
	root := "/"
	if len(roots) > 0 {
		var err error
		if root, err = mount.RootOf(p, roots); err != nil {
			return "", fmt.Errorf("read link %s: %w", p, err)
		}
	}
	dir, err := mount.OpenDirBelow(root, filepath.Dir(p))
	if err != nil {
		return "", fmt.Errorf("read link %s: %w", p, err)
	}
	defer dir.Close()
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(int(dir.Fd()), filepath.Base(p), buf)
	if err != nil {
		return "", fmt.Errorf("read link %s: %w", p, err)
	}
	if n == len(buf) {
		return "", fmt.Errorf("read link %s: too long", p)
	}
	return string(buf[:n]), nil
}

// ensureResources returns the spec's linux.resources, made if missing.
func ensureResources(spec *oci.Spec) *oci.LinuxResources {
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &oci.LinuxResources{}
	}
	return spec.Linux.Resources
}
