package hcsv2

import (
	"fmt"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
)

// The policy is never shown a spec's linux.namespaces (nor is the
// reference's). A container without a pid or ipc namespace entry runs in
// the utility VM's, where a root container reaches every process of the VM
// (and through /proc/<pid>/root their files) and every container's SysV
// IPC; one whose entry names a path joins whatever namespace that is,
// another container's included. Under a judging policy a container that
// is not privileged therefore gets namespaces of its own, or, a workload,
// its pod's.

// judgedNamespaceTypes are the namespaces checkNamespaces judges.
func judgedNamespaceTypes() []oci.LinuxNamespaceType {
	return []oci.LinuxNamespaceType{oci.PIDNamespace, oci.IPCNamespace}
}

// checkNamespaces refuses, for a container judgedUnprivileged, a pid or
// ipc namespace other than a new one or, for a workload of pod p, its
// sandbox's: no entry (the VM's namespace), more than one, or a path
// naming any other namespace. A path allowed is replaced by the sandbox
// init's own /proc path, so that the runtime joins the namespace judged
// whatever the host's path leads to later. Privileged containers and
// every container under the open-door policy keep what the host sent.
func (c *Container) checkNamespaces(p *pod) error {
	if !c.judgedUnprivileged() {
		return nil
	}
	if c.kind != kindWorkload {
		p = nil // only a workload shares its pod's namespaces
	}
	for _, typ := range judgedNamespaceTypes() {
		var entries []*oci.LinuxNamespace
		for i := range c.spec.Linux.Namespaces {
			if ns := &c.spec.Linux.Namespaces[i]; ns.Type == typ {
				entries = append(entries, ns)
			}
		}
		switch len(entries) {
		case 0:
			return vmNamespaceDenied(typ)
		case 1:
		default:
			return prot.Errorf(prot.HrFail, "more than one %s namespace entry denied by policy", typ)
		}
		if entries[0].Path == "" {
			continue
		}
		path, err := judgeNamespacePath(typ, entries[0].Path, p)
		if err != nil {
			return err
		}
		entries[0].Path = path
	}
	return nil
}

// judgeNamespacePath allows path, the host's, for a namespace of type typ
// only when it names the namespace of that type of pod p's sandbox init
// (never the VM's), and returns the sandbox init's /proc path for it; a
// container outside a pod (p nil) may join none.
func judgeNamespacePath(typ oci.LinuxNamespaceType, path string, p *pod) (string, error) {
	got, err := namespaceAt(path)
	if err != nil {
		return "", prot.Errorf(prot.HrFail, "%s namespace denied by policy: %w", typ, err)
	}
	vm, err := namespaceAt(fmt.Sprintf("/proc/self/ns/%s", typ))
	if err != nil {
		return "", prot.Errorf(prot.HrFail, "read the utility VM's %s namespace: %w", typ, err)
	}
	if got == vm {
		return "", vmNamespaceDenied(typ)
	}
	if p == nil {
		return "", foreignNamespaceDenied(typ)
	}
	want, sbPath, err := p.sandboxNamespace(typ)
	if err != nil {
		return "", prot.Errorf(prot.HrFail, "%s namespace of pod %s denied by policy: %w", typ, p.id, err)
	}
	switch {
	case want == vm:
		// A privileged sandbox in the VM's namespace: its workloads
		// were not allowed what it was.
		return "", vmNamespaceDenied(typ)
	case got != want:
		return "", foreignNamespaceDenied(typ)
	}
	return sbPath, nil
}

// vmNamespaceDenied is the refusal of the utility VM's namespace of type typ.
func vmNamespaceDenied(typ oci.LinuxNamespaceType) error {
	return prot.Errorf(prot.HrFail, "%s namespace of the utility VM denied by policy", typ)
}

// foreignNamespaceDenied is the refusal of a namespace of type typ that
// is neither new nor the pod's.
func foreignNamespaceDenied(typ oci.LinuxNamespaceType) error {
	return prot.Errorf(prot.HrFail, "another container's %s namespace denied by policy", typ)
}

// sandboxNamespace returns the namespace of type typ of p's sandbox init
// and the /proc path that names it.
func (p *pod) sandboxNamespace(typ oci.LinuxNamespaceType) (nsID, string, error) {
	sb := p.sandbox
	// created is set (under sb.mu) once init is: init is then fixed.
	if sb == nil || !sb.isCreated() || sb.init == nil {
		return nsID{}, "", fmt.Errorf("sandbox %s is not created", p.id)
	}
	init := sb.init
	path := fmt.Sprintf("/proc/%d/ns/%s", init.pid, typ)
	id, err := namespaceAt(path)
	// Only the reaper frees the pid: not reaped after the read, the file
	// read was the init's and not a later process's.
	if init.rp.Reaped() {
		return nsID{}, "", fmt.Errorf("sandbox %s is not running", p.id)
	}
	if err != nil {
		return nsID{}, "", err
	}
	return id, path, nil
}

// nsID identifies a namespace: the device and inode of its nsfs file.
type nsID struct{ dev, ino uint64 }

// namespaceAt returns the namespace the file at path is, following links
// as the runtime does when it joins it, and refuses a file that is not a
// namespace. The file is opened with O_PATH: a FIFO or device the host
// named is never opened for real.
func namespaceAt(path string) (nsID, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nsID{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	var fs unix.Statfs_t
	if err := unix.Fstatfs(fd, &fs); err != nil {
		return nsID{}, fmt.Errorf("statfs %s: %w", path, err)
	}
	if fs.Type != unix.NSFS_MAGIC {
		return nsID{}, fmt.Errorf("%s is not a namespace", path)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nsID{}, fmt.Errorf("stat %s: %w", path, err)
	}
	return nsID{dev: st.Dev, ino: st.Ino}, nil
}
