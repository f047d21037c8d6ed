package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// State is a container's state as `state` and `list --format json` report
// it.
type State struct {
	// ID is the container id.
	ID string `json:"id"`
	// Pid is the init's pid, 0 once it is gone (crun).
	Pid int `json:"pid"`
	// Status is "created", "running", "paused" or "stopped".
	Status string `json:"status"`
	// Bundle is the bundle directory the container was created from.
	Bundle string `json:"bundle"`
}

// State returns the state of container id: `state id`.
func (r *Runtime) State(ctx context.Context, id string) (*State, error) {
	out, err := r.output(ctx, call{op: "state", id: id, args: []string{id}})
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(out, &s); err != nil {
		return nil, fmt.Errorf("%s: decoding state %q: %w", r.op("state"), out, err)
	}
	return &s, nil
}

// List returns the state of every container under Root:
// `list --format json`.
func (r *Runtime) List(ctx context.Context) ([]State, error) {
	out, err := r.output(ctx, call{op: "list", args: []string{"--format", "json"}})
	if err != nil {
		return nil, err
	}
	// runc prints "null" when there are none, crun "[]".
	var states []State
	if err := json.Unmarshal(out, &states); err != nil {
		return nil, fmt.Errorf("%s: decoding list %q: %w", r.op("list"), out, err)
	}
	return states, nil
}

// output runs c and returns its standard output.
func (r *Runtime) output(ctx context.Context, c call) ([]byte, error) {
	var out bytes.Buffer
	c.stdout = &out
	if err := r.run(ctx, c); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
