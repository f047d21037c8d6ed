package cgroup

import (
	"fmt"
	"path"

	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// PodPath returns the cgroup path of pod sandboxID: "<parent>/pods/<id>".
// The pod's containers go below it (PodContainerPath), the sandbox's own
// container included, as with the reference.
func (m *Manager) PodPath(sandboxID string) string {
	return path.Join(m.podsPath(), sandboxID)
}

// PodContainerPath returns the cgroup path of container id in pod
// sandboxID: "<parent>/pods/<sandbox>/<id>".
func (m *Manager) PodContainerPath(sandboxID, id string) string {
	return path.Join(m.PodPath(sandboxID), id)
}

// CreatePod makes the cgroup of pod sandboxID in every hierarchy and
// applies the sandbox's resources to it (memory limit, CPU shares and
// quota, pids limit), so that they bound the pod as a whole. A pod cgroup
// that already exists is an error: two sandboxes never share one, nor a
// pod and a standalone container (whose cgroup is "<parent>/pods/<id>"
// too). On failure the directories this call made are removed again, and
// nothing else: an existing cgroup is left as it was.
func (m *Manager) CreatePod(sandboxID string, res *oci.LinuxResources) (string, error) {
	p := m.PodPath(sandboxID)
	if path.Dir(p) != m.podsPath() || path.Base(p) != sandboxID {
		return "", fmt.Errorf("create pod cgroup: bad sandbox id %q", sandboxID)
	}
	made, err := m.makePod(p, res)
	if err != nil {
		m.unmakePod(made)
		return "", fmt.Errorf("create pod cgroup %s: %w", p, err)
	}
	return p, nil
}

// v2Weight converts v1 CPU shares (2..262144) to a v2 cpu.weight
// (1..10000), the conversion runc and crun use.
func v2Weight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	shares = min(max(shares, 2), 262144)
	return 1 + ((shares-2)*9999)/262142
}
