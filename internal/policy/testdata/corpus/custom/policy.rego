package policy

import rego.v1

api_version := "0.7.0"

layers := {"0101010101010101010101010101010101010101010101010101010101010101", "0202020202020202020202020202020202020202020202020202020202020202"}

mount_device := {"allowed": true, "metadata": [{"name": "seen", "type": "set", "action": "add", "value": input.deviceHash}]} if {
	input.deviceHash in layers
}

mount_device := {"allowed": false} if not input.deviceHash in layers

unmount_device := {"allowed": true}

mount_overlay := {"allowed": count(input.layerPaths) > 0}

create_container := {"allowed": true, "env_list": [e | some e in input.envList; startswith(e, "OK_")], "allow_stdio_access": false} if {
	input.argList[0] == "/custom"
}

exec_in_container := {"allowed": true}

exec_external := {"allowed": false}

shutdown_container := {"allowed": true}

signal_container_process := "not an object"

plan9_mount := {"allowed": true}

plan9_unmount := {"allowed": true}

get_properties := {"allowed": true}

dump_stacks := {"allowed": true}

unmount_overlay := {"allowed": true}

reason := {"errors": ["custom policy says no"]}
