package framework_test

import data.framework

app := {
	"command": ["/app"],
	"env_rules": [{"pattern": "PATH=/bin", "strategy": "string", "required": false}],
	"layers": ["l0", "l1"],
	"mounts": [],
	"exec_processes": [{"command": ["sh"], "signals": [15]}],
	"signals": [9],
	"user": {"umask": "0022", "user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": []},
	"capabilities": null,
	"seccomp_profile_sha256": "",
	"allow_elevated": false,
	"working_dir": "/",
	"allow_stdio_access": true,
	"no_new_privileges": false,
}

caps := ["CAP_KILL"]

unprivileged := {"bounding": caps, "effective": caps, "inheritable": [], "permitted": caps, "ambient": []}

create_input := {
	"containerID": "c1", "argList": ["/app"], "envList": ["PATH=/bin"], "workingDir": "/",
	"sandboxDir": "/s", "hugePagesDir": "/h", "mounts": [], "devices": [], "privileged": false,
	"noNewPrivileges": false, "user": {"id": "0", "name": "root"}, "groups": [], "umask": "0022",
	"capabilities": unprivileged, "seccompProfileSHA256": "", "isSandboxContainer": false,
}

metadata := {"operatingsystem": {"ostype": "linux"}, "matches": {"c1": [app]}}

test_layer_paths_are_top_first if {
	framework.layerPaths_ok(["l0", "l1"]) with input.layerPaths as ["/m1", "/m0"]
		with data.metadata.devices as {"/m0": "l0", "/m1": "l1"}
	not framework.layerPaths_ok(["l0", "l1"]) with input.layerPaths as ["/m0", "/m1"]
		with data.metadata.devices as {"/m0": "l0", "/m1": "l1"}
}

test_create_container_records_start if {
	got := framework.create_container with input as create_input
		with data.metadata as metadata
		with data.defaultUnprivilegedCapabilities as caps
	got.allowed
	got.allow_stdio_access
	got.env_list == ["PATH=/bin"]
	got.metadata[1] == {"name": "started", "action": "add", "key": "c1", "value": {"privileged": false}}
}

test_create_container_refuses_a_started_container if {
	not framework.create_container.allowed with input as create_input
		with data.metadata as object.union(metadata, {"started": {"c1": {"privileged": false}}})
		with data.defaultUnprivilegedCapabilities as caps
}

test_create_container_refuses_other_capabilities if {
	not framework.create_container.allowed with input as object.union(create_input, {"capabilities": {"bounding": ["CAP_SYS_ADMIN"]}})
		with data.metadata as metadata
		with data.defaultUnprivilegedCapabilities as caps
}

test_signal_init_and_exec_processes if {
	started := object.union(metadata, {"started": {"c1": {"privileged": false}}})
	framework.signal_container_process.allowed with input as {"containerID": "c1", "signal": 9, "isInitProcess": true}
		with data.metadata as started
	not framework.signal_container_process.allowed with input as {"containerID": "c1", "signal": 15, "isInitProcess": true}
		with data.metadata as started
	framework.signal_container_process.allowed with input as {"containerID": "c1", "signal": 15, "isInitProcess": false, "argList": ["sh"]}
		with data.metadata as started
}

test_shutdown_forgets_the_matches if {
	got := framework.shutdown_container with input.containerID as "c1"
		with data.metadata as object.union(metadata, {"started": {"c1": {"privileged": false}}})
	got.metadata == [{"name": "matches", "action": "remove", "key": "c1"}]
}

test_old_policy_gains_defaults if {
	got := framework.upgrade_container(
		{
			"command": ["/a"], "env_rules": [], "layers": [], "mounts": [], "allow_elevated": false,
			"working_dir": "/", "exec_processes": [], "signals": [], "allow_stdio_access": false,
		},
		"0.1.0",
	)
	got.signals == [9, 15]
	got.no_new_privileges == false
	got.capabilities == null
	got.seccomp_profile_sha256 == ""
	got.user.user_idname.strategy == "any"
}
