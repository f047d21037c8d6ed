# Container lifecycle: create, exec inside, signal, shut down. Each request
# narrows the containers an overlay matched, stage by stage, and records the
# narrowed list back into the metadata.
package framework

default container_started := false

container_started if data.metadata.started[input.containerID]

default container_privileged := false

container_privileged if {
	is_linux
	data.metadata.started[input.containerID].privileged
}

matched_containers := data.metadata.matches[input.containerID]

# Stages of create_container, in the order a request passes them. The error
# messages start at an earlier stage where the reference's messages do.
create_security_ok(c) if {
	noNewPrivileges_ok(c.no_new_privileges)
	user_ok(c.user)
	privileged_ok(c.allow_elevated)
	workingDirectory_ok(c.working_dir)
	command_ok(c.command)
	mountList_ok(c.mounts, c.allow_elevated)
}

create_base := [c | some c in matched_containers; create_security_ok(c)]

create_seccomp := [c | some c in create_base; seccomp_ok(c.seccomp_profile_sha256)]

create_initial := [c | some c in create_seccomp; devices_ok([], input.devices)]

# create_outcome(initial) runs the environment and capability stages.
create_outcome(initial) := {"env_list": env.env_list, "caps_list": caps.caps_list, "items": caps.items} if {
	count(initial) > 0
	env := env_stage(initial)
	count(env.items) > 0
	caps := caps_stage(env.items, input.privileged)
}

create_outcome_windows(initial) := env if {
	count(initial) > 0
	env := env_stage(initial)
}

started_record(privileged) := metadata_add("started", input.containerID, {"privileged": privileged})

default create_container := {"allowed": false}

create_container := {
	"metadata": [metadata_update("matches", input.containerID, chosen), started_record(input.privileged)],
	"env_list": outcome.env_list,
	"caps_list": outcome.caps_list,
	"allow_stdio_access": chosen[0].allow_stdio_access,
	"allowed": true,
} if {
	is_linux
	not container_started
	outcome := create_outcome(create_initial)
	chosen := outcome.items
	count(chosen) > 0
	same_stdio(chosen)
}

windows_create_initial := [c |
	some c in matched_containers
	user_ok(c.user)
	workingDirectory_ok(c.working_dir)
	command_ok(c.command)
]

create_container := {
	"metadata": [metadata_update("matches", input.containerID, chosen), started_record(false)],
	"env_list": outcome.env_list,
	"allow_stdio_access": chosen[0].allow_stdio_access,
	"allowed": true,
} if {
	is_windows
	not container_started
	outcome := create_outcome_windows(windows_create_initial)
	chosen := outcome.items
	count(chosen) > 0
	same_stdio(chosen)
}

exec_process_matches(c) if {
	some process in c.exec_processes
	command_ok(process.command)
}

exec_initial := [c |
	some c in matched_containers
	workingDirectory_ok(c.working_dir)
	noNewPrivileges_ok(c.no_new_privileges)
	user_ok(c.user)
	exec_process_matches(c)
]

exec_outcome := {"env_list": env.env_list, "caps_list": caps.caps_list, "items": caps.items} if {
	count(exec_initial) > 0
	env := env_stage(exec_initial)
	count(env.items) > 0
	caps := caps_stage(env.items, container_privileged)
}

default exec_in_container := {"allowed": false}

exec_in_container := {
	"metadata": [metadata_update("matches", input.containerID, exec_outcome.items)],
	"env_list": exec_outcome.env_list,
	"caps_list": exec_outcome.caps_list,
	"allowed": true,
} if {
	is_linux
	container_started
	count(exec_outcome.items) > 0
}

windows_exec_initial := [c |
	some c in matched_containers
	workingDirectory_ok(c.working_dir)
	user_ok(c.user)
	exec_process_matches(c)
]

exec_in_container := {
	"metadata": [metadata_update("matches", input.containerID, outcome.items)],
	"env_list": outcome.env_list,
	"allowed": true,
} if {
	is_windows
	container_started
	outcome := create_outcome_windows(windows_exec_initial)
	count(outcome.items) > 0
}

default shutdown_container := {"allowed": false}

shutdown_container := {"metadata": [metadata_remove("matches", input.containerID)], "allowed": true} if {
	container_started
}

signal_ok(signals) if input.signal in signals

exec_process_signal_matches(c) if {
	some process in c.exec_processes
	command_ok(process.command)
	signal_ok(process.signals)
}

may_receive_signal(c) if {
	input.isInitProcess
	signal_ok(c.signals)
}

may_receive_signal(c) if {
	not input.isInitProcess
	exec_process_signal_matches(c)
}

signal_candidates := [c | some c in matched_containers; may_receive_signal(c)]

default signal_allowed := false

signal_allowed if count(signal_candidates) > 0

default signal_container_process := {"allowed": false}

signal_container_process := {"metadata": [metadata_update("matches", input.containerID, signal_candidates)], "allowed": true} if {
	container_started
	signal_allowed
}
