package framework_test

import data.framework

layer := "1111111111111111111111111111111111111111111111111111111111111111"

scsi := "/run/mounts/scsi/m[0-9]+"

test_anchored_adds_missing_anchors if {
	framework.anchored("a") == "^a$"
	framework.anchored("^a") == "^a$"
	framework.anchored("a$") == "^a$"
	framework.anchored("^a$") == "^a$"
}

test_mount_device_records_the_device if {
	got := framework.mount_device with input as {"target": "/run/mounts/scsi/m0", "deviceHash": layer, "mountPathRegex": scsi}
		with data.policy.containers as [{"layers": [layer]}]
	got.allowed
	got.metadata == [{"name": "devices", "action": "add", "key": "/run/mounts/scsi/m0", "value": layer}]
}

test_mount_device_denies_unknown_hash if {
	got := framework.mount_device with input as {"target": "/run/mounts/scsi/m0", "deviceHash": "x", "mountPathRegex": scsi}
		with data.policy.containers as [{"layers": [layer]}]
	not got.allowed
}

test_mount_device_denies_target_outside_the_path if {
	got := framework.mount_device with input as {"target": "/etc", "deviceHash": layer, "mountPathRegex": scsi}
		with data.policy.containers as [{"layers": [layer]}]
	not got.allowed
}

test_mount_device_denies_a_mounted_target if {
	got := framework.mount_device with input as {"target": "/run/mounts/scsi/m0", "deviceHash": layer, "mountPathRegex": scsi}
		with data.policy.containers as [{"layers": [layer]}]
		with data.metadata.rw_devices as {"/run/mounts/scsi/m0": true}
	not got.allowed
}

rw_input := {"target": "/run/gcs/c/x", "encrypted": true, "ensureFilesystem": true, "filesystem": "xfs", "mountPathRegex": "/run/gcs/c/.+"}

test_rw_mount_device_needs_a_known_filesystem if {
	framework.rw_mount_device.allowed with input as rw_input
	not framework.rw_mount_device.allowed with input as object.union(rw_input, {"filesystem": "vfat"})
	not framework.rw_mount_device.allowed with input as object.union(rw_input, {"ensureFilesystem": false})
}

test_unencrypted_scratch_needs_the_flag if {
	not framework.scratch_mount.allowed with input as {"target": "/s", "encrypted": false}
	framework.scratch_mount.allowed with input as {"target": "/s", "encrypted": false}
		with data.policy.allow_unencrypted_scratch as true
}

test_unmount_needs_a_mounted_device if {
	framework.unmount_device.allowed with input as {"unmountTarget": "/m"} with data.metadata.devices as {"/m": layer}
	not framework.unmount_device.allowed with input as {"unmountTarget": "/m"} with data.metadata.rw_devices as {"/m": true}
}

test_blockdev_is_never_allowed if {
	not framework.mount_blockdev.allowed with input as {"target": "/dev/sda"}
}
