package policy

import (
	"context"
)

// OpenDoor allows every request and keeps nothing: the enforcer of a
// utility VM that is not confidential.
type OpenDoor struct{}

var _ Enforcer = OpenDoor{}

func allow(rule string, result map[string]any) (*Decision, error) {
	if result == nil {
		result = map[string]any{}
	}
	result["allowed"] = true
	return &Decision{Rule: rule, Result: result}, nil
}

// IsOpenDoor reports whether a policy grants everything without deciding
// anything: empty, or the open-door policy itself, whatever its API
// version, comments and layout. It is decided on the parsed Rego, never on
// the text (see isOpenDoorModule): a policy that is not exactly the
// open-door policy as Rego is compiled and enforced as written.
func IsOpenDoor(policy string) bool {
	return policy == "" || isOpenDoorModule(policy)
}

// MountDevice implements Enforcer.
func (OpenDoor) MountDevice(context.Context, MountDevice) (*Decision, error) {
	return allow(RuleMountDevice, nil)
}

// UnmountDevice implements Enforcer.
func (OpenDoor) UnmountDevice(context.Context, UnmountDevice) (*Decision, error) {
	return allow(RuleUnmountDevice, nil)
}

// RWMountDevice implements Enforcer.
func (OpenDoor) RWMountDevice(context.Context, RWMountDevice) (*Decision, error) {
	return allow(RuleRWMountDevice, nil)
}

// RWUnmountDevice implements Enforcer.
func (OpenDoor) RWUnmountDevice(context.Context, RWUnmountDevice) (*Decision, error) {
	return allow(RuleRWUnmountDevice, nil)
}

// MountBlockDevice implements Enforcer.
func (OpenDoor) MountBlockDevice(context.Context, MountBlockDevice) (*Decision, error) {
	return allow(RuleMountBlockDevice, nil)
}

// UnmountBlockDevice implements Enforcer.
func (OpenDoor) UnmountBlockDevice(context.Context, UnmountBlockDevice) (*Decision, error) {
	return allow(RuleUnmountBlockDevice, nil)
}

// MountOverlay implements Enforcer.
func (OpenDoor) MountOverlay(context.Context, MountOverlay) (*Decision, error) {
	return allow(RuleMountOverlay, nil)
}

// UnmountOverlay implements Enforcer.
func (OpenDoor) UnmountOverlay(context.Context, UnmountOverlay) (*Decision, error) {
	return allow(RuleUnmountOverlay, nil)
}

// ScratchMount implements Enforcer.
func (OpenDoor) ScratchMount(context.Context, ScratchMount) (*Decision, error) {
	return allow(RuleScratchMount, nil)
}

// ScratchUnmount implements Enforcer.
func (OpenDoor) ScratchUnmount(context.Context, ScratchUnmount) (*Decision, error) {
	return allow(RuleScratchUnmount, nil)
}

// CreateContainer implements Enforcer: everything requested is kept.
func (OpenDoor) CreateContainer(_ context.Context, r CreateContainer) (*Decision, error) {
	d, _ := allow(RuleCreateContainer, map[string]any{"env_list": nil, "allow_stdio_access": true})
	d.Env, d.Capabilities, d.AllowStdioAccess = r.Env, r.Capabilities, true
	return d, nil
}

// ExecInContainer implements Enforcer: everything requested is kept.
func (OpenDoor) ExecInContainer(_ context.Context, r ExecInContainer) (*Decision, error) {
	d, _ := allow(RuleExecInContainer, map[string]any{"env_list": nil})
	d.Env, d.Capabilities, d.AllowStdioAccess = r.Env, r.Capabilities, true
	return d, nil
}

// ExecExternal implements Enforcer: everything requested is kept.
func (OpenDoor) ExecExternal(_ context.Context, r ExecExternal) (*Decision, error) {
	d, _ := allow(RuleExecExternal, map[string]any{"env_list": nil, "allow_stdio_access": true})
	d.Env, d.AllowStdioAccess = r.Env, true
	return d, nil
}

// ShutdownContainer implements Enforcer.
func (OpenDoor) ShutdownContainer(context.Context, ShutdownContainer) (*Decision, error) {
	return allow(RuleShutdownContainer, nil)
}

// SignalContainerProcess implements Enforcer.
func (OpenDoor) SignalContainerProcess(context.Context, SignalContainerProcess) (*Decision, error) {
	return allow(RuleSignalContainerProcess, nil)
}

// Plan9Mount implements Enforcer.
func (OpenDoor) Plan9Mount(context.Context, Plan9Mount) (*Decision, error) {
	return allow(RulePlan9Mount, nil)
}

// Plan9Unmount implements Enforcer.
func (OpenDoor) Plan9Unmount(context.Context, Plan9Unmount) (*Decision, error) {
	return allow(RulePlan9Unmount, nil)
}

// GetProperties implements Enforcer.
func (OpenDoor) GetProperties(context.Context) (*Decision, error) {
	return allow(RuleGetProperties, nil)
}

// DumpStacks implements Enforcer.
func (OpenDoor) DumpStacks(context.Context) (*Decision, error) { return allow(RuleDumpStacks, nil) }

// RuntimeLogging implements Enforcer.
func (OpenDoor) RuntimeLogging(context.Context) (*Decision, error) {
	return allow(RuleRuntimeLogging, nil)
}

// HostNetwork implements Enforcer.
func (OpenDoor) HostNetwork(context.Context) (*Decision, error) { return allow(RuleHostNetwork, nil) }

// LoadFragment implements Enforcer: the fragment is accepted and ignored.
func (OpenDoor) LoadFragment(context.Context, LoadFragment) (*Decision, error) {
	return allow(RuleLoadFragment, map[string]any{"add_module": false})
}

// LoadTransparencyTrustList implements Enforcer: every ledger is allowed.
func (OpenDoor) LoadTransparencyTrustList(_ context.Context, r LoadTransparencyTrustList) (*Decision, error) {
	return allow(RuleLoadTransparencyTrustList, map[string]any{"allowed_ledgers": strs(r.Ledgers)})
}

// MountCims implements Enforcer.
func (OpenDoor) MountCims(context.Context, MountCims) (*Decision, error) {
	return allow(RuleMountCims, nil)
}

// RegistryChanges implements Enforcer.
func (OpenDoor) RegistryChanges(context.Context, RegistryChanges) (*Decision, error) {
	return allow(RuleRegistryChanges, nil)
}

// LogProvider implements Enforcer: every provider is kept.
func (OpenDoor) LogProvider(_ context.Context, r LogProvider) (*Decision, error) {
	d, _ := allow(RuleLogProvider, map[string]any{"providers_to_keep": nil})
	d.Providers = r.Providers
	return d, nil
}
