//go:build !linux

package cgroup

import oci "github.com/opencontainers/runtime-spec/specs-go"

// makePod is not supported outside Linux.
func (m *Manager) makePod(string, *oci.LinuxResources) error { return errUnsupported() }
