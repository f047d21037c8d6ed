package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Update changes the cgroup resources of container id to res:
// `update --resources - id` with res as JSON on standard input.
func (r *Runtime) Update(ctx context.Context, id string, res *specs.LinuxResources) error {
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("%s: encoding resources: %w", r.op("update"), err)
	}
	c := call{op: "update", id: id, args: []string{"--resources", "-", id}, stdin: bytes.NewReader(b)}
	return r.run(ctx, c)
}
