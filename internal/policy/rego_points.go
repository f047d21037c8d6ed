package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var _ Enforcer = (*Rego)(nil)

const capabilitiesNilError = "capabilities object provided by the UVM to the policy engine is nil"

// MountDevice implements Enforcer.
func (p *Rego) MountDevice(ctx context.Context, r MountDevice) (*Decision, error) {
	return p.Decide(ctx, RuleMountDevice, r.input())
}

// UnmountDevice implements Enforcer.
func (p *Rego) UnmountDevice(ctx context.Context, r UnmountDevice) (*Decision, error) {
	return p.Decide(ctx, RuleUnmountDevice, r.input())
}

// RWMountDevice implements Enforcer.
func (p *Rego) RWMountDevice(ctx context.Context, r RWMountDevice) (*Decision, error) {
	return p.Decide(ctx, RuleRWMountDevice, r.input())
}

// RWUnmountDevice implements Enforcer.
func (p *Rego) RWUnmountDevice(ctx context.Context, r RWUnmountDevice) (*Decision, error) {
	return p.Decide(ctx, RuleRWUnmountDevice, r.input())
}

// MountBlockDevice implements Enforcer.
func (p *Rego) MountBlockDevice(ctx context.Context, r MountBlockDevice) (*Decision, error) {
	return p.Decide(ctx, RuleMountBlockDevice, r.input())
}

// UnmountBlockDevice implements Enforcer.
func (p *Rego) UnmountBlockDevice(ctx context.Context, r UnmountBlockDevice) (*Decision, error) {
	return p.Decide(ctx, RuleUnmountBlockDevice, r.input())
}

// MountOverlay implements Enforcer.
func (p *Rego) MountOverlay(ctx context.Context, r MountOverlay) (*Decision, error) {
	return p.Decide(ctx, RuleMountOverlay, r.input())
}

// UnmountOverlay implements Enforcer.
func (p *Rego) UnmountOverlay(ctx context.Context, r UnmountOverlay) (*Decision, error) {
	return p.Decide(ctx, RuleUnmountOverlay, r.input())
}

// ScratchMount implements Enforcer.
func (p *Rego) ScratchMount(ctx context.Context, r ScratchMount) (*Decision, error) {
	return p.Decide(ctx, RuleScratchMount, r.input())
}

// ScratchUnmount implements Enforcer.
func (p *Rego) ScratchUnmount(ctx context.Context, r ScratchUnmount) (*Decision, error) {
	return p.Decide(ctx, RuleScratchUnmount, r.input())
}

// CreateContainer implements Enforcer. The decision's Env and Capabilities
// are the request's, less what the policy dropped.
func (p *Rego) CreateContainer(ctx context.Context, r CreateContainer) (*Decision, error) {
	if r.Capabilities == nil && p.osType == "linux" {
		return nil, errors.New(capabilitiesNilError)
	}
	d, err := p.Decide(ctx, RuleCreateContainer, r.input())
	if err != nil {
		return nil, err
	}
	if err := p.processResults(ctx, d, r.Env, r.Capabilities); err != nil {
		return nil, err
	}
	stdio, ok := d.Result["allow_stdio_access"].(bool)
	if !ok {
		return nil, errors.Join(errors.New("policy result allow_stdio_access is not a boolean"), d.Rollback(ctx))
	}
	d.AllowStdioAccess = stdio
	commit := d.commit
	d.commit = func() {
		p.mu.Lock()
		p.stdio[r.ContainerID] = stdio
		p.mu.Unlock()
		commit()
	}
	return d, nil
}

// ExecInContainer implements Enforcer. AllowStdioAccess is the container's.
func (p *Rego) ExecInContainer(ctx context.Context, r ExecInContainer) (*Decision, error) {
	if r.Capabilities == nil && p.osType == "linux" {
		return nil, errors.New(capabilitiesNilError)
	}
	d, err := p.Decide(ctx, RuleExecInContainer, r.input())
	if err != nil {
		return nil, err
	}
	if err := p.processResults(ctx, d, r.Env, r.Capabilities); err != nil {
		return nil, err
	}
	p.mu.Lock()
	d.AllowStdioAccess = p.stdio[r.ContainerID]
	p.mu.Unlock()
	return d, nil
}

// ExecExternal implements Enforcer.
func (p *Rego) ExecExternal(ctx context.Context, r ExecExternal) (*Decision, error) {
	d, err := p.Decide(ctx, RuleExecExternal, r.input())
	if err != nil {
		return nil, err
	}
	if err := p.processResults(ctx, d, r.Env, nil); err != nil {
		return nil, err
	}
	stdio, ok := d.Result["allow_stdio_access"].(bool)
	if !ok {
		return nil, errors.Join(errors.New("policy result allow_stdio_access is not a boolean"), d.Rollback(ctx))
	}
	d.AllowStdioAccess = stdio
	return d, nil
}

// processResults fills the kept environment and capabilities, undoing the
// decision when the policy's answer has the wrong shape.
func (p *Rego) processResults(ctx context.Context, d *Decision, env []string, caps *specs.LinuxCapabilities) error {
	var err error
	if d.Env, err = keptStrings(env, d.Result["env_list"], "env_list"); err == nil && caps != nil {
		d.Capabilities, err = keptCaps(caps, d.Result["caps_list"])
	}
	if err != nil {
		return errors.Join(err, d.Rollback(ctx))
	}
	return nil
}

// keptStrings is requested less what the policy's list leaves out, in the
// requested order; no list (or null) keeps everything.
func keptStrings(requested []string, list any, what string) ([]string, error) {
	if list == nil {
		return requested, nil
	}
	items, ok := list.([]any)
	if !ok {
		return nil, fmt.Errorf("policy returned %T for %s, not a list", list, what)
	}
	keep := make(map[string]bool, len(items))
	for _, item := range items {
		s, ok := item.(string)
		if !ok {
			return nil, fmt.Errorf("policy returned %T in %s, not a string", item, what)
		}
		keep[s] = true
	}
	out := make([]string, 0, len(requested))
	for _, s := range requested {
		if keep[s] && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func keptCaps(requested *specs.LinuxCapabilities, list any) (*specs.LinuxCapabilities, error) {
	if list == nil {
		return requested, nil
	}
	sets, ok := list.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("policy returned %T for caps_list, not an object", list)
	}
	out := &specs.LinuxCapabilities{}
	for _, s := range []struct {
		name string
		from []string
		to   *[]string
	}{
		{"bounding", requested.Bounding, &out.Bounding},
		{"effective", requested.Effective, &out.Effective},
		{"inheritable", requested.Inheritable, &out.Inheritable},
		{"permitted", requested.Permitted, &out.Permitted},
		{"ambient", requested.Ambient, &out.Ambient},
	} {
		if _, ok := sets[s.name].([]any); !ok {
			return nil, fmt.Errorf("policy returned %T for caps_list.%s, not a list", sets[s.name], s.name)
		}
		kept, err := keptStrings(s.from, sets[s.name], "caps_list."+s.name)
		if err != nil {
			return nil, err
		}
		*s.to = kept
	}
	return out, nil
}

// ShutdownContainer implements Enforcer.
func (p *Rego) ShutdownContainer(ctx context.Context, r ShutdownContainer) (*Decision, error) {
	return p.Decide(ctx, RuleShutdownContainer, r.input())
}

// SignalContainerProcess implements Enforcer.
func (p *Rego) SignalContainerProcess(ctx context.Context, r SignalContainerProcess) (*Decision, error) {
	return p.Decide(ctx, RuleSignalContainerProcess, r.input())
}

// Plan9Mount implements Enforcer.
func (p *Rego) Plan9Mount(ctx context.Context, r Plan9Mount) (*Decision, error) {
	return p.Decide(ctx, RulePlan9Mount, r.input())
}

// Plan9Unmount implements Enforcer.
func (p *Rego) Plan9Unmount(ctx context.Context, r Plan9Unmount) (*Decision, error) {
	return p.Decide(ctx, RulePlan9Unmount, r.input())
}

// GetProperties implements Enforcer.
func (p *Rego) GetProperties(ctx context.Context) (*Decision, error) {
	return p.Decide(ctx, RuleGetProperties, map[string]any{})
}

// DumpStacks implements Enforcer.
func (p *Rego) DumpStacks(ctx context.Context) (*Decision, error) {
	return p.Decide(ctx, RuleDumpStacks, map[string]any{})
}

// RuntimeLogging implements Enforcer.
func (p *Rego) RuntimeLogging(ctx context.Context) (*Decision, error) {
	return p.Decide(ctx, RuleRuntimeLogging, map[string]any{})
}

// HostNetwork implements Enforcer.
func (p *Rego) HostNetwork(ctx context.Context) (*Decision, error) {
	return p.Decide(ctx, RuleHostNetwork, map[string]any{})
}

// LoadTransparencyTrustList implements Enforcer. Result["allowed_ledgers"]
// lists the ledgers whose keys may be taken from the list.
func (p *Rego) LoadTransparencyTrustList(ctx context.Context, r LoadTransparencyTrustList) (*Decision, error) {
	d, err := p.Decide(ctx, RuleLoadTransparencyTrustList, r.input())
	if err != nil {
		return nil, err
	}
	if ledgers, _ := d.Result["allowed_ledgers"].([]any); len(ledgers) == 0 {
		return nil, errors.Join(errors.New("transparency trust list carries no ledgers authorized by the policy"), d.Rollback(ctx))
	}
	return d, nil
}

// MountCims implements Enforcer.
func (p *Rego) MountCims(ctx context.Context, r MountCims) (*Decision, error) {
	return p.Decide(ctx, RuleMountCims, r.input())
}

// RegistryChanges implements Enforcer.
func (p *Rego) RegistryChanges(ctx context.Context, r RegistryChanges) (*Decision, error) {
	return p.Decide(ctx, RuleRegistryChanges, r.input())
}

// LogProvider implements Enforcer. The decision's Providers are those kept.
func (p *Rego) LogProvider(ctx context.Context, r LogProvider) (*Decision, error) {
	d, err := p.Decide(ctx, RuleLogProvider, r.input())
	if err != nil {
		return nil, err
	}
	if d.Providers, err = keptStrings(r.Providers, d.Result["providers_to_keep"], "providers_to_keep"); err != nil {
		return nil, errors.Join(err, d.Rollback(ctx))
	}
	return d, nil
}
