package policy

import "context"

// Install returns the enforcer for a policy the host set: OpenDoor for an
// empty policy, OpenDoorPolicy for the open-door policy (see IsOpenDoor),
// else the compiled Rego policy.
func Install(ctx context.Context, policy string, opts Options) (Enforcer, error) {
	if policy == "" {
		return OpenDoor{}, nil
	}
	if IsOpenDoor(policy) {
		return newOpenDoorPolicy(opts), nil
	}
	return NewRego(ctx, policy, opts)
}
