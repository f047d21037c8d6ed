// Package policy decides whether the guest may do what the host asks, for
// confidential utility VMs. An Enforcer has one method per enforcement
// point (the places hcsv2 must ask before acting); each takes a typed
// request that one function turns into the input document the reference
// guest (hcsshim) builds, so policies written for it work unchanged.
//
// Three enforcers: OpenDoor allows everything (no policy, or the open-door
// policy), ClosedDoor refuses everything (before any policy is set, when the
// daemon starts with a deny stance), and Rego evaluates a policy with the
// framework in package framework.
package policy

import "context"

// Enforcer answers the guest's questions. An allowed request returns a
// Decision that the caller must Commit once the operation succeeded, or
// Rollback when it failed, so the metadata the decision recorded (mounted
// devices, started containers…) matches what really happened. Until then
// other decisions wait. A refused request returns a *DenialError and no
// Decision.
type Enforcer interface {
	MountDevice(ctx context.Context, r MountDevice) (*Decision, error)
	UnmountDevice(ctx context.Context, r UnmountDevice) (*Decision, error)
	RWMountDevice(ctx context.Context, r RWMountDevice) (*Decision, error)
	RWUnmountDevice(ctx context.Context, r RWUnmountDevice) (*Decision, error)
	MountBlockDevice(ctx context.Context, r MountBlockDevice) (*Decision, error)
	UnmountBlockDevice(ctx context.Context, r UnmountBlockDevice) (*Decision, error)
	MountOverlay(ctx context.Context, r MountOverlay) (*Decision, error)
	UnmountOverlay(ctx context.Context, r UnmountOverlay) (*Decision, error)
	ScratchMount(ctx context.Context, r ScratchMount) (*Decision, error)
	ScratchUnmount(ctx context.Context, r ScratchUnmount) (*Decision, error)
	CreateContainer(ctx context.Context, r CreateContainer) (*Decision, error)
	ExecInContainer(ctx context.Context, r ExecInContainer) (*Decision, error)
	ExecExternal(ctx context.Context, r ExecExternal) (*Decision, error)
	ShutdownContainer(ctx context.Context, r ShutdownContainer) (*Decision, error)
	SignalContainerProcess(ctx context.Context, r SignalContainerProcess) (*Decision, error)
	Plan9Mount(ctx context.Context, r Plan9Mount) (*Decision, error)
	Plan9Unmount(ctx context.Context, r Plan9Unmount) (*Decision, error)
	GetProperties(ctx context.Context) (*Decision, error)
	DumpStacks(ctx context.Context) (*Decision, error)
	RuntimeLogging(ctx context.Context) (*Decision, error)
	HostNetwork(ctx context.Context) (*Decision, error)
	LoadFragment(ctx context.Context, r LoadFragment) (*Decision, error)
	LoadTransparencyTrustList(ctx context.Context, r LoadTransparencyTrustList) (*Decision, error)
	MountCims(ctx context.Context, r MountCims) (*Decision, error)
	RegistryChanges(ctx context.Context, r RegistryChanges) (*Decision, error)
	LogProvider(ctx context.Context, r LogProvider) (*Decision, error)
}

// The enforcement points, as the policy names its rules.
const (
	RuleMountDevice               = "mount_device"
	RuleUnmountDevice             = "unmount_device"
	RuleRWMountDevice             = "rw_mount_device"
	RuleRWUnmountDevice           = "rw_unmount_device"
	RuleMountBlockDevice          = "mount_blockdev"
	RuleUnmountBlockDevice        = "unmount_blockdev"
	RuleMountOverlay              = "mount_overlay"
	RuleUnmountOverlay            = "unmount_overlay"
	RuleScratchMount              = "scratch_mount"
	RuleScratchUnmount            = "scratch_unmount"
	RuleCreateContainer           = "create_container"
	RuleExecInContainer           = "exec_in_container"
	RuleExecExternal              = "exec_external"
	RuleShutdownContainer         = "shutdown_container"
	RuleSignalContainerProcess    = "signal_container_process"
	RulePlan9Mount                = "plan9_mount"
	RulePlan9Unmount              = "plan9_unmount"
	RuleGetProperties             = "get_properties"
	RuleDumpStacks                = "dump_stacks"
	RuleRuntimeLogging            = "runtime_logging"
	RuleHostNetwork               = "host_network"
	RuleLoadFragment              = "load_fragment"
	RuleLoadTransparencyTrustList = "load_transparency_trust_list"
	RuleMountCims                 = "mount_cims"
	RuleRegistryChanges           = "registry_changes"
	RuleLogProvider               = "log_provider"
)
