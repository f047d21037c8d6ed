package policy

import (
	"context"
	"errors"
	"fmt"
)

// ErrClosedDoor is what every ClosedDoor refusal wraps.
var ErrClosedDoor = errors.New("no security policy is set and the initial stance is deny")

// ClosedDoor refuses every request: the guest's stance before a policy is
// set when it starts with -initial-policy-stance deny.
type ClosedDoor struct{}

var _ Enforcer = ClosedDoor{}

// What each refusal says was refused.
var closedDoorActions = map[string]string{
	RuleMountDevice:               "mounting a device",
	RuleUnmountDevice:             "unmounting a device",
	RuleRWMountDevice:             "mounting a read-write device",
	RuleRWUnmountDevice:           "unmounting a read-write device",
	RuleMountBlockDevice:          "exposing a block device",
	RuleUnmountBlockDevice:        "removing a block device",
	RuleMountOverlay:              "mounting an overlay",
	RuleUnmountOverlay:            "unmounting an overlay",
	RuleScratchMount:              "mounting scratch",
	RuleScratchUnmount:            "unmounting scratch",
	RuleCreateContainer:           "creating a container",
	RuleExecInContainer:           "starting a process in a container",
	RuleExecExternal:              "starting a process in the utility VM",
	RuleShutdownContainer:         "shutting down a container",
	RuleSignalContainerProcess:    "signalling a container process",
	RulePlan9Mount:                "mounting a plan9 share",
	RulePlan9Unmount:              "unmounting a plan9 share",
	RuleGetProperties:             "getting properties",
	RuleDumpStacks:                "dumping stacks",
	RuleRuntimeLogging:            "runtime logging",
	RuleHostNetwork:               "host networking",
	RuleLoadFragment:              "loading a fragment",
	RuleLoadTransparencyTrustList: "loading a transparency trust list",
	RuleMountCims:                 "mounting CIMs",
	RuleRegistryChanges:           "changing the registry",
	RuleLogProvider:               "enabling log providers",
}

func refuse(rule string) (*Decision, error) {
	return nil, fmt.Errorf("%s is denied by policy: %w", closedDoorActions[rule], ErrClosedDoor)
}

// MountDevice implements Enforcer.
func (ClosedDoor) MountDevice(context.Context, MountDevice) (*Decision, error) {
	return refuse(RuleMountDevice)
}

// UnmountDevice implements Enforcer.
func (ClosedDoor) UnmountDevice(context.Context, UnmountDevice) (*Decision, error) {
	return refuse(RuleUnmountDevice)
}

// RWMountDevice implements Enforcer.
func (ClosedDoor) RWMountDevice(context.Context, RWMountDevice) (*Decision, error) {
	return refuse(RuleRWMountDevice)
}

// RWUnmountDevice implements Enforcer.
func (ClosedDoor) RWUnmountDevice(context.Context, RWUnmountDevice) (*Decision, error) {
	return refuse(RuleRWUnmountDevice)
}

// MountBlockDevice implements Enforcer.
func (ClosedDoor) MountBlockDevice(context.Context, MountBlockDevice) (*Decision, error) {
	return refuse(RuleMountBlockDevice)
}

// UnmountBlockDevice implements Enforcer.
func (ClosedDoor) UnmountBlockDevice(context.Context, UnmountBlockDevice) (*Decision, error) {
	return refuse(RuleUnmountBlockDevice)
}

// MountOverlay implements Enforcer.
func (ClosedDoor) MountOverlay(context.Context, MountOverlay) (*Decision, error) {
	return refuse(RuleMountOverlay)
}

// UnmountOverlay implements Enforcer.
func (ClosedDoor) UnmountOverlay(context.Context, UnmountOverlay) (*Decision, error) {
	return refuse(RuleUnmountOverlay)
}

// ScratchMount implements Enforcer.
func (ClosedDoor) ScratchMount(context.Context, ScratchMount) (*Decision, error) {
	return refuse(RuleScratchMount)
}

// ScratchUnmount implements Enforcer.
func (ClosedDoor) ScratchUnmount(context.Context, ScratchUnmount) (*Decision, error) {
	return refuse(RuleScratchUnmount)
}

// CreateContainer implements Enforcer.
func (ClosedDoor) CreateContainer(context.Context, CreateContainer) (*Decision, error) {
	return refuse(RuleCreateContainer)
}

// ExecInContainer implements Enforcer.
func (ClosedDoor) ExecInContainer(context.Context, ExecInContainer) (*Decision, error) {
	return refuse(RuleExecInContainer)
}

// ExecExternal implements Enforcer.
func (ClosedDoor) ExecExternal(context.Context, ExecExternal) (*Decision, error) {
	return refuse(RuleExecExternal)
}

// ShutdownContainer implements Enforcer.
func (ClosedDoor) ShutdownContainer(context.Context, ShutdownContainer) (*Decision, error) {
	return refuse(RuleShutdownContainer)
}

// SignalContainerProcess implements Enforcer.
func (ClosedDoor) SignalContainerProcess(context.Context, SignalContainerProcess) (*Decision, error) {
	return refuse(RuleSignalContainerProcess)
}

// Plan9Mount implements Enforcer.
func (ClosedDoor) Plan9Mount(context.Context, Plan9Mount) (*Decision, error) {
	return refuse(RulePlan9Mount)
}

// Plan9Unmount implements Enforcer.
func (ClosedDoor) Plan9Unmount(context.Context, Plan9Unmount) (*Decision, error) {
	return refuse(RulePlan9Unmount)
}

// GetProperties implements Enforcer.
func (ClosedDoor) GetProperties(context.Context) (*Decision, error) { return refuse(RuleGetProperties) }

// DumpStacks implements Enforcer.
func (ClosedDoor) DumpStacks(context.Context) (*Decision, error) { return refuse(RuleDumpStacks) }

// RuntimeLogging implements Enforcer.
func (ClosedDoor) RuntimeLogging(context.Context) (*Decision, error) {
	return refuse(RuleRuntimeLogging)
}

// HostNetwork implements Enforcer.
func (ClosedDoor) HostNetwork(context.Context) (*Decision, error) { return refuse(RuleHostNetwork) }

// LoadFragment implements Enforcer.
func (ClosedDoor) LoadFragment(context.Context, LoadFragment) (*Decision, error) {
	return refuse(RuleLoadFragment)
}

// LoadTransparencyTrustList implements Enforcer.
func (ClosedDoor) LoadTransparencyTrustList(context.Context, LoadTransparencyTrustList) (*Decision, error) {
	return refuse(RuleLoadTransparencyTrustList)
}

// MountCims implements Enforcer.
func (ClosedDoor) MountCims(context.Context, MountCims) (*Decision, error) {
	return refuse(RuleMountCims)
}

// RegistryChanges implements Enforcer.
func (ClosedDoor) RegistryChanges(context.Context, RegistryChanges) (*Decision, error) {
	return refuse(RuleRegistryChanges)
}

// LogProvider implements Enforcer.
func (ClosedDoor) LogProvider(context.Context, LogProvider) (*Decision, error) {
	return refuse(RuleLogProvider)
}
