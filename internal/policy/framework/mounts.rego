# The OCI mounts a container may have: its own constraints, the guest's
# default and privileged mounts, and the sandbox's sysfs.
package framework

# Sources may name the sandbox, hugepages or plan9 share of the pod by prefix.
mount_source_ok(constraint, source) if {
	startswith(constraint, data.sandboxPrefix)
	regex.match(anchored(replace(constraint, data.sandboxPrefix, input.sandboxDir)), source)
}

mount_source_ok(constraint, source) if {
	startswith(constraint, data.hugePagesPrefix)
	regex.match(anchored(replace(constraint, data.hugePagesPrefix, input.hugePagesDir)), source)
}

mount_source_ok(constraint, source) if {
	startswith(constraint, data.plan9Prefix)
	data.metadata.p9mounts[source] == input.containerID
}

mount_source_ok(constraint, source) if constraint == source

mount_constraint_ok(constraint, mount) if {
	mount.type == constraint.type
	mount_source_ok(constraint.source, mount.source)
	mount.destination != ""
	mount.destination == constraint.destination
	same_members(constraint.options, mount.options)
}

mount_ok(own, _, mount) if {
	some constraint in own
	mount_constraint_ok(constraint, mount)
}

mount_ok(_, _, mount) if {
	some constraint in data.defaultMounts
	mount_constraint_ok(constraint, mount)
}

mount_ok(_, allow_elevated, mount) if {
	allow_elevated
	some constraint in data.privilegedMounts
	mount_constraint_ok(constraint, mount)
}

# containerd mounts /sys read-write into the pause container of a privileged
# pod, and input.privileged is false for it; only that one mount is let
# through, so a sandbox container gains nothing else privileged mounts hold.
mount_ok(_, _, mount) if {
	input.isSandboxContainer
	mount.type == "sysfs"
	mount.source == "sysfs"
	mount.destination == "/sys"
	same_members(["nosuid", "noexec", "nodev", "rw"], mount.options)
}

mountList_ok(own, allow_elevated) if {
	is_linux
	every mount in input.mounts {
		mount_ok(own, allow_elevated, mount)
	}
}

mountList_ok(_, _) if is_windows
