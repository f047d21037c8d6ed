package hcsv2

import (
	"fmt"
	"os"
	"path"
	"path/filepath"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// CRI annotations that say what kind of container a spec describes.
const (
	annotationContainerType = "io.kubernetes.cri.container-type"
	annotationSandboxID     = "io.kubernetes.cri.sandbox-id"
)

// containerKind is standalone (no annotation), a pod sandbox, or a workload
// container of a sandbox.
type containerKind int

const (
	kindStandalone containerKind = iota
	kindSandbox
	kindWorkload
)

// checkSpec refuses specs the GCS cannot run, before anything is created.
func checkSpec(spec *oci.Spec) error {
	switch {
	case spec == nil:
		return prot.Errorf(prot.HrInvalidArg, "ContainerConfig has no OciSpecification")
	case spec.Linux == nil:
		return prot.Errorf(prot.HrInvalidArg, "OciSpecification has no linux section")
	case spec.Process == nil:
		return prot.Errorf(prot.HrInvalidArg, "OciSpecification has no process")
	case len(spec.Process.Args) == 0:
		return prot.Errorf(prot.HrInvalidArg, "OciSpecification process has no args")
	case spec.Root == nil || spec.Root.Path == "":
		return prot.Errorf(prot.HrInvalidArg, "OciSpecification has no root path")
	}
	if err := checkInitProcess(spec.Process); err != nil {
		return err
	}
	return checkUnified(spec.Linux.Resources)
}

// checkInitProcess gives the init what an exec gets (execSpec): an
// environment the runtime passes as it stands, no (uid_t)-1 id, and an
// absolute cwd (runc refuses a relative one, crun takes it from "/"), all
// before the policy judges it and without quoting an environment value.
// Ids resolved from a user name are checked again once resolved.
func checkInitProcess(p *oci.Process) error {
	if err := checkEnv(p.Env); err != nil {
		return err
	}
	if err := checkIDs(p.User); err != nil {
		return err
	}
	if p.Cwd != "" && !path.IsAbs(p.Cwd) {
		return prot.Errorf(prot.HrInvalidArg, "OciProcess cwd is not an absolute path")
	}
	return nil
}

// kindOf reads the container kind of container id from the spec's
// annotations, and its pod: the sandbox id of a sandbox (its own id) or
// workload (the sandbox-id annotation). A virtual pod (the virtual-pod-id
// annotation) is its own pod: its first container, whose id is the
// virtual pod id, is its sandbox whatever the container-type says, as
// with the reference.
func kindOf(id string, spec *oci.Spec) (containerKind, string, error) {
	t := spec.Annotations[annotationContainerType]
	vp := spec.Annotations[annotationVirtualPodID]
	if vp != "" {
		if err := validateID(vp); err != nil {
			return 0, "", prot.Errorf(prot.HrFail, "bad %s annotation: %w", annotationVirtualPodID, err)
		}
		if vp == id {
			t = "sandbox"
		}
	}
	switch t {
	case "":
		return kindStandalone, "", nil
	case "sandbox":
		if vp != "" {
			return kindSandbox, vp, nil
		}
		return kindSandbox, id, nil
	case "container":
		sb := spec.Annotations[annotationSandboxID]
		if vp != "" {
			sb = vp
		}
		if err := validateID(sb); err != nil {
			return 0, "", prot.Errorf(prot.HrFail, "workload container: bad %s annotation: %w", annotationSandboxID, err)
		}
		return kindWorkload, sb, nil
	default:
		return 0, "", prot.Errorf(prot.HrFail, "unsupported %s annotation %q", annotationContainerType, t)
	}
}

// etcFiles are the per-container files a standalone or sandbox container
// gets in its bundle and sees at /etc (unless the spec mounts them itself).
var etcFiles = []string{"hostname", "hosts", "resolv.conf"}

// prepareSpec adapts the host's spec to this guest: the container's cgroup,
// no Windows section, and the /etc files. A relative root path is taken
// relative to the bundle, as the runtime would.
func prepareSpec(spec *oci.Spec, kind containerKind, bundle, etcDir, cgroupsPath string) {
	spec.Windows = nil
	spec.Linux.CgroupsPath = cgroupsPath
	readonly := "rw"
	if spec.Root.Readonly {
		readonly = "ro"
	}
	for _, name := range etcFiles {
		dest := "/etc/" + name
		if hasMount(spec, dest) {
			continue
		}
		spec.Mounts = append(spec.Mounts, oci.Mount{
			Destination: dest,
			Type:        "bind",
			Source:      filepath.Join(etcDir, name),
			Options:     []string{"rbind", "rprivate", readonly},
		})
	}
}

func hasMount(spec *oci.Spec, dest string) bool {
	for _, m := range spec.Mounts {
		if filepath.Clean(m.Destination) == dest {
			return true
		}
	}
	return false
}

// writeEtcFiles writes hostname, hosts and resolv.conf for a standalone or
// sandbox container into the open directory dir.
func writeEtcFiles(dir *os.File, hostname string, resolvConf []byte) error {
	if hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("read the VM's hostname: %w", err)
		}
		hostname = h
	}
	hosts := "127.0.0.1 localhost\n127.0.1.1 " + hostname + "\n" +
		"::1 localhost ip6-localhost ip6-loopback\nfe00::0 ip6-localnet\n" +
		"ff00::0 ip6-mcastprefix\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n"
	files := map[string]string{
		"hostname":    hostname + "\n",
		"hosts":       hosts,
		"resolv.conf": string(resolvConf),
	}
	for name, content := range files {
		// A link at the name (the host's file system may be mounted at
		// dir) is replaced, never written through.
		if err := mount.WriteFileAt(dir, name, []byte(content), 0o644); err != nil {
			return fmt.Errorf("write /etc files: %w", err)
		}
	}
	return nil
}
