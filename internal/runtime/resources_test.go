package runtime

import specs "github.com/opencontainers/runtime-spec/specs-go"

func memoryLimit(limit int64) *specs.LinuxResources {
	return &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
}
