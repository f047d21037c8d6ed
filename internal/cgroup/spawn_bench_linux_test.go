package cgroup

import (
	"os/exec"
	"testing"
)

// BenchmarkSpawn measures what being born in the runtime cgroup costs an
// invocation: /bin/true started through SpawnInRuntimeCgroup against the
// same started plainly (the floor); both are waited for.
func BenchmarkSpawn(b *testing.B) {
	m, _ := newTestManager(b, Options{})
	bin, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true binary")
	}
	run := func(b *testing.B, spawn func(*exec.Cmd, func() (int, error)) error) {
		for b.Loop() {
			cmd := exec.Command(bin)
			err := spawn(cmd, func() (int, error) {
				if err := cmd.Start(); err != nil {
					return 0, err
				}
				return cmd.Process.Pid, nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("runtime-cgroup", func(b *testing.B) { run(b, m.SpawnInRuntimeCgroup) })
	b.Run("floor", func(b *testing.B) {
		run(b, func(_ *exec.Cmd, start func() (int, error)) error { _, err := start(); return err })
	})
}

// BenchmarkSpawnHandOff measures the spawner's hand-off alone: a start
// that forks nothing, run on the spawner's thread.
func BenchmarkSpawnHandOff(b *testing.B) {
	m, _ := newTestManager(b, Options{})
	cmd := exec.Command("true")
	for b.Loop() {
		if err := m.SpawnInRuntimeCgroup(cmd, func() (int, error) { return 1, nil }); err != nil {
			b.Fatal(err)
		}
	}
}
