package policy

import "context"

// Install returns the enforcer for a policy the host set: OpenDoor for an
// empty or open-door policy, else the compiled Rego policy.
func Install(ctx context.Context, policy string, opts Options) (Enforcer, error) {
	if IsOpenDoor(policy) {
		return OpenDoor{}, nil
	}
	return NewRego(ctx, policy, opts)
}
