# Read-only layer devices, read-write (scratch) devices, block devices and
# scratch mounts: what may be mounted where, and the metadata that records it.
package framework

# anchored(p) makes a pattern match whole strings only; a policy that wants a
# partial match writes the .* itself.
anchored(p) := anchor_end(anchor_start(p))

anchor_start(p) := p if startswith(p, "^")

anchor_start(p) := concat("", ["^", p]) if not startswith(p, "^")

anchor_end(p) := p if endswith(p, "$")

anchor_end(p) := concat("", [p, "$"]) if not endswith(p, "$")

device_mounted(target) if data.metadata.devices[target]

device_mounted(target) if data.metadata.rw_devices[target]

mount_target_ok if regex.match(anchored(input.mountPathRegex), input.target)

# The policy's own containers are read as written, whatever its version.
known_layer contains layer if some layer in data.policy.containers[_].layers

known_layer contains layer if some layer in loaded_fragments[_].containers[_].layers

default deviceHash_ok := false

deviceHash_ok if input.deviceHash in known_layer

metadata_add(name, key, value) := {"name": name, "action": "add", "key": key, "value": value}

metadata_update(name, key, value) := {"name": name, "action": "update", "key": key, "value": value}

metadata_remove(name, key) := {"name": name, "action": "remove", "key": key}

default mount_device := {"allowed": false}

mount_device := {"metadata": [metadata_add("devices", input.target, input.deviceHash)], "allowed": true} if {
	not device_mounted(input.target)
	deviceHash_ok
	mount_target_ok
}

default unmount_device := {"allowed": false}

unmount_device := {"metadata": [metadata_remove("devices", input.unmountTarget)], "allowed": true} if {
	data.metadata.devices[input.unmountTarget]
}

scratch_filesystem := {"ext4", "xfs"}

scratch_encryption_ok if input.encrypted

scratch_encryption_ok if allow_unencrypted_scratch

default rw_mount_device := {"allowed": false}

rw_mount_device := {"metadata": [metadata_add("rw_devices", input.target, true)], "allowed": true} if {
	not device_mounted(input.target)
	scratch_encryption_ok
	input.ensureFilesystem
	input.filesystem in scratch_filesystem
	mount_target_ok
}

default rw_unmount_device := {"allowed": false}

rw_unmount_device := {"metadata": [metadata_remove("rw_devices", input.unmountTarget)], "allowed": true} if {
	data.metadata.rw_devices[input.unmountTarget]
}

# Block devices are never allowed by the framework: a confidential guest
# only mounts filesystems it can verify.
default mount_blockdev := {"allowed": false}

default unmount_blockdev := {"allowed": false}

scratch_mounted(target) if data.metadata.scratch_mounts[target]

default scratch_mount := {"allowed": false}

scratch_mount := {"metadata": [record], "allowed": true} if {
	not scratch_mounted(input.target)
	scratch_encryption_ok
	record := metadata_add("scratch_mounts", input.target, {"encrypted": input.encrypted})
}

default scratch_unmount := {"allowed": false}

scratch_unmount := {"metadata": [metadata_remove("scratch_mounts", input.unmountTarget)], "allowed": true} if {
	scratch_mounted(input.unmountTarget)
}
