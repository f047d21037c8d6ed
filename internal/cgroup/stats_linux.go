package cgroup

import "github.com/linux-gcs/gcs/internal/prot"

// stats reads the statistics of the cgroup at p in the mode's way.
func (m *Manager) stats(p string) (*prot.Metrics, error) {
	if m.sys.l.v2 {
		return statsV2(m.sys.l.unified, p, m.sys.hugeSizes)
	}
	return m.statsV1(p)
}
