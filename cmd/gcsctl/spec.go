package main

import (
	"slices"
	"strings"

	oci "github.com/opencontainers/runtime-spec/specs-go"
)

// ociVersion is the version the default spec claims: crun 1.8 accepts only
// 1.0.x, runc any.
const ociVersion = "1.0.2"

// defaultPath is the PATH of processes whose --env does not set one.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// processEnv returns a process's environment: the default PATH, TERM when
// it has a terminal, then env, whose entries replace those of the same name.
func processEnv(env []string, tty bool) []string {
	out := []string{defaultPath}
	if tty {
		out = append(out, "TERM=xterm")
	}
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, name+"=") })
		out = append(out, kv)
	}
	return out
}

// defaultSpec returns the OCI spec run creates a container with, shaped
// like `runc spec` output: new pid, ipc, uts, mount and network namespaces,
// the standard mounts, masked and read-only paths, and the default
// capabilities. Unlike `runc spec` the root is writable: it is an overlay
// with a scratch directory. The GCS sets linux.cgroupsPath itself.
func defaultSpec(o *runOptions, rootfs string) *oci.Spec {
	// The capabilities `runc spec` gives a container, one copy per set.
	caps := func() []string { return []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"} }
	return &oci.Spec{
		Version: ociVersion,
		Process: &oci.Process{
			Terminal: o.tty,
			User:     o.user,
			Args:     o.args,
			Env:      processEnv(o.env, o.tty),
			Cwd:      o.cwd,
			Capabilities: &oci.LinuxCapabilities{
				Bounding:  caps(),
				Effective: caps(),
				Permitted: caps(),
			},
			Rlimits:         []oci.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Root:     &oci.Root{Path: rootfs},
		Hostname: o.hostname,
		Mounts:   defaultMounts(),
		Linux: &oci.Linux{
			Resources: &oci.LinuxResources{
				Devices: []oci.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			Namespaces: []oci.LinuxNamespace{
				{Type: oci.PIDNamespace},
				{Type: oci.NetworkNamespace},
				{Type: oci.IPCNamespace},
				{Type: oci.UTSNamespace},
				{Type: oci.MountNamespace},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
			},
			ReadonlyPaths: []string{
				"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
			},
		},
	}
}

// defaultMounts are the mounts of `runc spec`, /proc with the options
// containerd's CRI gives it (nosuid, noexec, nodev), so that a security
// policy's default mounts cover them all.
func defaultMounts() []oci.Mount {
	return []oci.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
			Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
			Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
			Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue",
			Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs",
			Options: []string{"nosuid", "noexec", "nodev", "ro"}},
	}
}
