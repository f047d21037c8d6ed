package hcsv2

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
)

func (h *Host) handleGetProperties(ctx context.Context, r *bridge.Request) (prot.Response, error) {
	var req prot.ContainerGetProperties
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	var q prot.PropertyQuery
	if req.Query != "" {
		if err := decodeJSON([]byte(req.Query), &q, "Query"); err != nil {
			return nil, err
		}
	}
	if err := h.allowOnly("get properties", func(e policy.Enforcer) (*policy.Decision, error) { return e.GetProperties(ctx) }); err != nil {
		return nil, err
	}
	if req.ContainerID == prot.NullContainerID {
		return nil, prot.Errorf(prot.HrFail, "getPropertiesV2 is not supported against the UVM")
	}
	c, err := h.container(req.ContainerID)
	if err != nil {
		return nil, err
	}
	props, err := c.properties(ctx, q.PropertyTypes)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(props)
	if err != nil {
		return nil, prot.Errorf(prot.HrFail, "encode properties: %w", err)
	}
	return &prot.ContainerGetPropertiesResponse{Properties: string(b)}, nil
}

// properties answers ProcessList and Statistics from the container's
// cgroup; other property types are ignored, as by the reference. Each is
// read once however often the query lists it (see answeredTypes).
func (c *Container) properties(ctx context.Context, types []prot.PropertyType) (*prot.PropertiesV2, error) {
	var props prot.PropertiesV2
	cg := c.host.opts.Cgroups
	for _, t := range answeredTypes(types) {
		switch t {
		case prot.PtProcessList:
			if cg == nil {
				return nil, prot.Errorf(prot.HrFail, "no cgroup manager")
			}
			pids, err := cg.Pids(c.cgroupPath)
			if err != nil {
				return nil, c.readFailed("list processes", err)
			}
			props.ProcessList = make([]prot.ProcessDetails, len(pids))
			for i, pid := range pids {
				props.ProcessList[i].ProcessID = pid
			}
		case prot.PtStatistics:
			if cg == nil {
				return nil, prot.Errorf(prot.HrFail, "no cgroup manager")
			}
			m, err := cg.Stats(ctx, c.cgroupPath)
			if err != nil {
				return nil, c.readFailed("statistics", err)
			}
			props.Metrics = m
		}
	}
	return &props, nil
}

// readFailed is the error of a failed reading (what) of the container's
// cgroup. Once a deletion of the container's state has begun, it is
// system-not-found, as every request but Delete gets then: the runtime's
// delete removes the cgroup before the container is forgotten.
func (c *Container) readFailed(what string, err error) error {
	c.mu.Lock()
	deleting := c.deleting != nil || c.deleted
	c.mu.Unlock()
	if deleting {
		return prot.Errorf(prot.HrVmcomputeSystemNotFound, "container %q not found: its state is being deleted", c.id)
	}
	return prot.Errorf(prot.HrFail, "%s of %s: %w", what, c.id, err)
}

// answeredTypes returns the property types of a query that properties
// answers, each once, in the order they first appear. The reference reads
// a type again for each time it is listed, each reading replacing the
// last in the reply; a 4 MiB query lists "Statistics" 250,000 times, and
// reading them all held the handler, and in sequential mode every request
// behind it, for seconds.
func answeredTypes(types []prot.PropertyType) []prot.PropertyType {
	var out []prot.PropertyType
	for _, t := range types {
		if (t == prot.PtProcessList || t == prot.PtStatistics) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
