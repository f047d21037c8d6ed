//go:build !linux

package cgroup

import oci "github.com/opencontainers/runtime-spec/specs-go"

// makePod is not supported outside Linux.
func (m *Manager) makePod(string, *oci.LinuxResources) ([]string, error) {
	return nil, errUnsupported()
}

// unmakePod has nothing to undo outside Linux.
func (m *Manager) unmakePod([]string) {}
