//go:build !linux

package cgroup

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"

	"github.com/linux-gcs/gcs/internal/prot"
)

// system holds nothing outside Linux.
type system struct{}

// spawner is not used outside Linux.
type spawner struct{}

func (*spawner) close() {}

// errUnsupported reports that cgroups exist only on Linux.
func errUnsupported() error {
	return fmt.Errorf("cgroups are not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// setup is not supported outside Linux.
func (m *Manager) setup() error { return errUnsupported() }

// settle is not supported outside Linux.
func (m *Manager) settle() (bool, error) { return false, errUnsupported() }

// moveSelfInBackground is never reached outside Linux, where setup fails.
func (m *Manager) moveSelfInBackground() { m.ready.finish(errUnsupported()) }

// favorDynMods has no cgroup2 to reconfigure outside Linux.
func (m *Manager) favorDynMods() {}

// teardown has nothing to undo outside Linux.
func (m *Manager) teardown() error { return nil }

// setMemoryLimit is not supported outside Linux.
func (m *Manager) setMemoryLimit(string, int64) error { return errUnsupported() }

// stats is not supported outside Linux.
func (m *Manager) stats(string) (*prot.Metrics, error) { return nil, errUnsupported() }

// pids is not supported outside Linux.
func (m *Manager) pids(string) ([]uint32, error) { return nil, errUnsupported() }

// kill is not supported outside Linux.
func (m *Manager) kill(context.Context, string) error { return errUnsupported() }

// remove is not supported outside Linux.
func (m *Manager) remove(string) error { return errUnsupported() }

// totalRAM is not supported outside Linux.
func totalRAM() (int64, error) { return 0, errUnsupported() }

// addRuntimeProcess is not supported outside Linux.
func (m *Manager) addRuntimeProcess(int) error { return errUnsupported() }

// SpawnInRuntimeCgroup runs start: there are no cgroups outside Linux.
func (m *Manager) SpawnInRuntimeCgroup(_ *exec.Cmd, start func() (int, error)) error {
	_, err := start()
	return err
}

// WatchMemory is not supported outside Linux.
func (m *Manager) WatchMemory(context.Context) error { return errUnsupported() }
