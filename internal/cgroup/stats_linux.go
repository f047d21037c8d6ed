package cgroup

import "github.com/linux-gcs/gcs/internal/prot"

// stats reads the statistics of the cgroup at p in the mode's way.
// The files read are kept open for the next time (see fileCache).
func (m *Manager) stats(p string) (*prot.Metrics, error) {
	files := m.sys.files.acquire(p)
	defer m.sys.files.release(files)
	r := &fileReader{buf: make([]byte, 0, 4096), files: files}
	if m.sys.l.v2 {
		return statsV2(r, m.sys.l.unified, p, m.sys.hugeSizes)
	}
	return m.statsV1(r, p)
}
