package policy

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Prefixes a policy's mount sources may start with.
const (
	SandboxPrefix   = "sandbox://"
	HugePagesPrefix = "hugepages://"
	Plan9Prefix     = "plan9://"
)

// DefaultUnprivilegedCapabilities are the capabilities of a container that
// is not privileged, when its policy names none.
func DefaultUnprivilegedCapabilities() []string {
	return []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
		"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
	}
}

// DefaultPrivilegedCapabilities are the capabilities of a privileged
// container, when its policy names none.
func DefaultPrivilegedCapabilities() []string {
	return []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
		"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
		"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
		"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
		"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
		"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
		"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
	}
}

// DefaultMounts are the mounts containerd's CRI gives every container; a
// policy allows them without listing them.
func DefaultMounts() []specs.Mount {
	ro := []string{"nosuid", "noexec", "nodev", "relatime", "ro"}
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		// Either cgroup version, whichever the kernel mounts.
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: ro},
		{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2", Options: ro},
	}
}

// PrivilegedMounts are the mounts CRI gives a privileged container instead.
func PrivilegedMounts() []specs.Mount {
	rw := []string{"nosuid", "noexec", "nodev", "relatime", "rw"}
	return []specs.Mount{
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: rw},
		{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2", Options: rw},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "rw"}},
	}
}

// DefaultData is the data (data.*) the guest gives a policy: default and
// privileged mounts, mount source prefixes and default capabilities.
func DefaultData() map[string]any {
	return map[string]any{
		"defaultMounts":                   mountsInput(DefaultMounts()),
		"privilegedMounts":                mountsInput(PrivilegedMounts()),
		"sandboxPrefix":                   SandboxPrefix,
		"hugePagesPrefix":                 HugePagesPrefix,
		"plan9Prefix":                     Plan9Prefix,
		"defaultUnprivilegedCapabilities": strs(DefaultUnprivilegedCapabilities()),
		"defaultPrivilegedCapabilities":   strs(DefaultPrivilegedCapabilities()),
	}
}
