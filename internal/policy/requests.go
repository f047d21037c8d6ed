package policy

import (
	"path"
	"regexp"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Paths in the utility VM that inputs describe to the policy, as the
// reference guest lays them out.
const (
	// ContainerRoot is where container roots live (/run/gcs/c/<id>).
	ContainerRoot = "/run/gcs/c"
	// scsiMountFmt is where read-only SCSI layers are mounted.
	scsiMountFmt = "/run/mounts/scsi/m%d"
	// plan9MountFmt is where plan9 shares are mounted under a container root.
	plan9MountFmt = "/mounts/m%d"
)

// numbered turns a path format with one %d into a regular expression.
func numbered(format string) string { return strings.Replace(format, "%d", "[0-9]+", 1) }

// MountDevice asks to mount a read-only layer device (by its dm-verity
// root hash) at Target.
type MountDevice struct {
	Target     string
	DeviceHash string
	// MountPathRegex is where layers may be mounted; empty for the
	// reference's /run/mounts/scsi/m[0-9]+ (a guest whose state lives
	// elsewhere passes its own).
	MountPathRegex string
}

// LayerMountPathRegex is the MountPathRegex of layers mounted below
// mountsRoot (the reference's is /run/mounts).
func LayerMountPathRegex(mountsRoot string) string {
	return regexp.QuoteMeta(mountsRoot) + "/scsi/m[0-9]+"
}

func (r MountDevice) input() map[string]any {
	return map[string]any{"target": r.Target, "deviceHash": r.DeviceHash, "mountPathRegex": orDefault(r.MountPathRegex, numbered(scsiMountFmt))}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// UnmountDevice asks to unmount a read-only device.
type UnmountDevice struct{ Target string }

func (r UnmountDevice) input() map[string]any { return unmountInput(r.Target) }

func unmountInput(target string) map[string]any { return map[string]any{"unmountTarget": target} }

// RWMountDevice asks to mount a read-write (scratch) device at Target.
type RWMountDevice struct {
	Target           string
	Encrypted        bool
	EnsureFilesystem bool
	Filesystem       string
	// ContainerRoot is where container roots live; empty for the
	// reference's /run/gcs/c.
	ContainerRoot string
}

func (r RWMountDevice) input() map[string]any {
	return map[string]any{
		"target":           r.Target,
		"encrypted":        r.Encrypted,
		"ensureFilesystem": r.EnsureFilesystem,
		"filesystem":       r.Filesystem,
		// The container id is not known yet: any valid one will do.
		"mountPathRegex": regexp.QuoteMeta(orDefault(r.ContainerRoot, ContainerRoot)) + "/[0-9a-fA-F]{64}",
	}
}

// RWUnmountDevice asks to unmount a read-write device.
type RWUnmountDevice struct{ Target string }

func (r RWUnmountDevice) input() map[string]any { return unmountInput(r.Target) }

// MountBlockDevice asks to expose a block device at Target.
type MountBlockDevice struct{ Target string }

func (r MountBlockDevice) input() map[string]any { return map[string]any{"target": r.Target} }

// UnmountBlockDevice asks to remove an exposed block device.
type UnmountBlockDevice struct{ Target string }

func (r UnmountBlockDevice) input() map[string]any { return unmountInput(r.Target) }

// MountOverlay asks to mount a container's root overlay from mounted layer
// paths (top layer first) at Target.
type MountOverlay struct {
	ContainerID string
	LayerPaths  []string
	Target      string
}

func (r MountOverlay) input() map[string]any {
	return map[string]any{"containerID": r.ContainerID, "layerPaths": strs(r.LayerPaths), "target": r.Target}
}

// UnmountOverlay asks to unmount a container's root overlay.
type UnmountOverlay struct{ Target string }

func (r UnmountOverlay) input() map[string]any { return unmountInput(r.Target) }

// ScratchMount asks to mount a scratch space at Target.
type ScratchMount struct {
	Target    string
	Encrypted bool
}

func (r ScratchMount) input() map[string]any {
	return map[string]any{"target": r.Target, "encrypted": r.Encrypted}
}

// ScratchUnmount asks to unmount a scratch space.
type ScratchUnmount struct{ Target string }

func (r ScratchUnmount) input() map[string]any { return unmountInput(r.Target) }

// IDName is a user or group by number and name.
type IDName struct {
	ID   string
	Name string
}

func (n IDName) input() map[string]any { return map[string]any{"id": n.ID, "name": n.Name} }

func groupsInput(groups []IDName) []any {
	out := make([]any, 0, len(groups))
	for _, g := range groups {
		out = append(out, g.input())
	}
	return out
}

// CreateContainer asks to create a container from its OCI spec.
type CreateContainer struct {
	SandboxID            string
	ContainerID          string
	Args                 []string
	Env                  []string
	WorkingDir           string
	Mounts               []specs.Mount
	Devices              []specs.LinuxDevice
	Privileged           bool
	NoNewPrivileges      bool
	User                 IDName
	Groups               []IDName
	Umask                string
	Capabilities         *specs.LinuxCapabilities
	SeccompProfileSHA256 string
	// IsSandbox is true for a pod's sandbox (pause) container.
	IsSandbox bool
	// SandboxDir and HugePagesDir are where the pod's sandbox:// and
	// hugepages:// mounts live; empty for the reference's (see
	// SandboxMountsDir, HugePagesMountsDir).
	SandboxDir   string
	HugePagesDir string
}

// SandboxMountsDir is where a pod's sandbox:// mounts live.
func SandboxMountsDir(sandboxID string) string {
	return path.Join(ContainerRoot, sandboxID, "sandboxMounts")
}

// HugePagesMountsDir is where a pod's hugepages:// mounts live.
func HugePagesMountsDir(sandboxID string) string {
	return path.Join(ContainerRoot, sandboxID, "hugepages")
}

func (r CreateContainer) input() map[string]any {
	return map[string]any{
		"containerID":          r.ContainerID,
		"argList":              strs(r.Args),
		"envList":              strs(r.Env),
		"workingDir":           r.WorkingDir,
		"sandboxDir":           orDefault(r.SandboxDir, SandboxMountsDir(r.SandboxID)),
		"hugePagesDir":         orDefault(r.HugePagesDir, HugePagesMountsDir(r.SandboxID)),
		"mounts":               mountsInput(r.Mounts),
		"devices":              devicesInput(r.Devices),
		"privileged":           r.Privileged,
		"noNewPrivileges":      r.NoNewPrivileges,
		"user":                 r.User.input(),
		"groups":               groupsInput(r.Groups),
		"umask":                r.Umask,
		"capabilities":         capsInput(r.Capabilities),
		"seccompProfileSHA256": r.SeccompProfileSHA256,
		"isSandboxContainer":   r.IsSandbox,
	}
}

// ExecInContainer asks to start a process in a running container.
type ExecInContainer struct {
	ContainerID     string
	Args            []string
	Env             []string
	WorkingDir      string
	NoNewPrivileges bool
	User            IDName
	Groups          []IDName
	Umask           string
	Capabilities    *specs.LinuxCapabilities
}

func (r ExecInContainer) input() map[string]any {
	return map[string]any{
		"containerID":     r.ContainerID,
		"argList":         strs(r.Args),
		"envList":         strs(r.Env),
		"workingDir":      r.WorkingDir,
		"noNewPrivileges": r.NoNewPrivileges,
		"user":            r.User.input(),
		"groups":          groupsInput(r.Groups),
		"umask":           r.Umask,
		"capabilities":    capsInput(r.Capabilities),
	}
}

// ExecExternal asks to start a process in the utility VM itself.
type ExecExternal struct {
	Args       []string
	Env        []string
	WorkingDir string
}

func (r ExecExternal) input() map[string]any {
	return map[string]any{"argList": strs(r.Args), "envList": strs(r.Env), "workingDir": r.WorkingDir}
}

// ShutdownContainer asks to shut a container down.
type ShutdownContainer struct{ ContainerID string }

func (r ShutdownContainer) input() map[string]any {
	return map[string]any{"containerID": r.ContainerID}
}

// SignalContainerProcess asks to signal a container's process.
type SignalContainerProcess struct {
	ContainerID   string
	Signal        int
	IsInitProcess bool
	// StartupArgs is the command line the process was started with.
	StartupArgs []string
}

func (r SignalContainerProcess) input() map[string]any {
	return map[string]any{
		"containerID":   r.ContainerID,
		"signal":        r.Signal,
		"isInitProcess": r.IsInitProcess,
		"argList":       strs(r.StartupArgs),
	}
}

// Plan9Mount asks to mount a plan9 share at Target.
type Plan9Mount struct {
	Target string
	// ContainerRoot is where container roots live; empty for the
	// reference's /run/gcs/c.
	ContainerRoot string
}

func (r Plan9Mount) input() map[string]any {
	return map[string]any{"rootPrefix": orDefault(r.ContainerRoot, ContainerRoot), "mountPathPrefix": numbered(plan9MountFmt), "target": r.Target}
}

// Plan9Unmount asks to unmount a plan9 share.
type Plan9Unmount struct{ Target string }

func (r Plan9Unmount) input() map[string]any { return unmountInput(r.Target) }

// Receipt is a transparency receipt the guest already validated.
type Receipt struct {
	// Issuer is the ledger that issued it.
	Issuer string
	// TTLSubjects are the subjects of the trust lists whose key validated it.
	TTLSubjects []string
}

// LoadFragment asks to load a policy fragment whose signature was checked.
type LoadFragment struct {
	Issuer string
	Feed   string
	// HeaderSVN is the SVN in the fragment's signed header, if any.
	HeaderSVN *int64
	// Rego is the fragment; its first line is "package <namespace>".
	Rego     string
	Receipts []Receipt
}

// LoadTransparencyTrustList asks to accept a signed trust list's keys.
type LoadTransparencyTrustList struct {
	Issuer  string
	Subject string
	SVN     int64
	Ledgers []string
}

func (r LoadTransparencyTrustList) input() map[string]any {
	return map[string]any{"issuer": r.Issuer, "subject": r.Subject, "svn": r.SVN, "ledgers": strs(r.Ledgers)}
}

// MountCims asks to mount a Windows container's CIM layers.
type MountCims struct {
	ContainerID string
	LayerHashes []string
	MountedCim  []string
}

func (r MountCims) input() map[string]any {
	return map[string]any{"containerID": r.ContainerID, "layerHashes": strs(r.LayerHashes), "mountedCim": strs(r.MountedCim)}
}

// RegistryChanges asks to apply Windows registry changes to a container;
// Changes is the HCS RegistryChanges document as JSON values.
type RegistryChanges struct {
	ContainerID string
	Changes     map[string]any
}

func (r RegistryChanges) input() map[string]any {
	return map[string]any{"containerID": r.ContainerID, "registryChanges": r.Changes}
}

// LogProvider asks to enable log providers.
type LogProvider struct{ Providers []string }

func (r LogProvider) input() map[string]any { return map[string]any{"providers": strs(r.Providers)} }

func strs(list []string) []any {
	out := make([]any, 0, len(list))
	for _, s := range list {
		out = append(out, s)
	}
	return out
}

func mountsInput(mounts []specs.Mount) []any {
	out := make([]any, 0, len(mounts))
	for _, m := range mounts {
		out = append(out, map[string]any{
			"destination": m.Destination,
			"source":      m.Source,
			"options":     optionalStrs(m.Options),
			"type":        m.Type,
		})
	}
	return out
}

// optionalStrs keeps a nil list null, as the reference's input does.
func optionalStrs(list []string) any {
	if list == nil {
		return nil
	}
	return strs(list)
}

func devicesInput(devices []specs.LinuxDevice) []any {
	out := make([]any, 0, len(devices))
	for _, d := range devices {
		var mode any
		if d.FileMode != nil {
			mode = uint32(*d.FileMode)
		}
		out = append(out, map[string]any{
			"path": d.Path, "type": d.Type, "major": d.Major, "minor": d.Minor,
			"fileMode": mode, "uid": optionalID(d.UID), "gid": optionalID(d.GID),
		})
	}
	return out
}

func optionalID(id *uint32) any {
	if id == nil {
		return nil
	}
	return *id
}

// capsInput lists every capability set, empty where the spec has none.
func capsInput(c *specs.LinuxCapabilities) map[string]any {
	if c == nil {
		c = &specs.LinuxCapabilities{}
	}
	return map[string]any{
		"bounding":    strs(c.Bounding),
		"effective":   strs(c.Effective),
		"inheritable": strs(c.Inheritable),
		"permitted":   strs(c.Permitted),
		"ambient":     strs(c.Ambient),
	}
}
