# Processes started in the utility VM itself, plan9 shares, and the simple
# switches a policy turns on or off.
package framework

fragment_external_processes_loaded := [p | p := loaded_fragments[_].external_processes[_]]

# An older policy without external_processes, or one with no valid version,
# has none, and then neither do its fragments.
default candidate_external_processes := []

candidate_external_processes := array.concat(
	[p | some p in data.policy.external_processes],
	fragment_external_processes_loaded,
) if policy_is_current

candidate_external_processes := array.concat(
	upgrade("external_process", data.policy.external_processes, policy_framework_version),
	fragment_external_processes_loaded,
) if policy_is_older

external_initial := [p |
	some p in candidate_external_processes
	workingDirectory_ok(p.working_dir)
	command_ok(p.command)
]

external_outcome := env_stage(external_initial) if count(external_initial) > 0

default exec_external := {"allowed": false}

exec_external := {
	"allowed": true,
	"allow_stdio_access": external_outcome.items[0].allow_stdio_access,
	"env_list": external_outcome.env_list,
} if {
	count(external_outcome.items) > 0
	same_stdio(external_outcome.items)
}

default get_properties := {"allowed": false}

get_properties := {"allowed": true} if allow_properties_access

default dump_stacks := {"allowed": false}

dump_stacks := {"allowed": true} if allow_dump_stacks

default runtime_logging := {"allowed": false}

runtime_logging := {"allowed": true} if allow_runtime_logging

default host_network := {"allowed": false}

host_network := {"allowed": true} if allow_host_network

plan9_mounted(target) if data.metadata.p9mounts[target]

# A plan9 share is mounted under the root of a container an overlay matched.
plan9_owner contains id if {
	some id, _ in data.metadata.matches
	regex.match(concat("", ["^", input.rootPrefix, "/", id, input.mountPathPrefix, "$"]), input.target)
}

default plan9_mount := {"allowed": false}

plan9_mount := {"metadata": [metadata_add("p9mounts", input.target, id)], "allowed": true} if {
	not plan9_mounted(input.target)
	some id in plan9_owner
}

default plan9_unmount := {"allowed": false}

plan9_unmount := {"metadata": [metadata_remove("p9mounts", input.unmountTarget)], "allowed": true} if {
	plan9_mounted(input.unmountTarget)
}

log_provider_allowed(name) if {
	some allowed in data.policy.allowed_log_providers
	lower(name) == lower(allowed)
}

requested_log_providers := [name | some name in input.providers; log_provider_allowed(name)] if {
	allow_log_provider_dropping
}

requested_log_providers := input.providers if not allow_log_provider_dropping

default log_provider := {"allowed": false, "providers_to_keep": []}

log_provider := {"allowed": true, "providers_to_keep": requested_log_providers} if {
	every name in requested_log_providers {
		log_provider_allowed(name)
	}
}

registry_key_ok(want, got) if {
	want.hive == got.Hive
	want.name == got.Name
	object.get(want, "volatile", false) == object.get(got, "Volatile", false)
}

# The value field each registry type compares, besides key, name and type.
registry_value_fields := {
	"String": [["string_value", "StringValue"]],
	"ExpandedString": [["string_value", "StringValue"]],
	"MultiString": [["string_value", "StringValue"]],
	"DWord": [["dword_value", "DWordValue"]],
	"QWord": [["qword_value", "QWordValue"]],
	"Binary": [["binary_value", "BinaryValue"]],
	"CustomType": [["custom_type", "CustomType"], ["binary_value", "BinaryValue"]],
	"None": [],
}

registry_value_ok(want, got) if {
	registry_key_ok(want.key, got.Key)
	want.name == got.Name
	want.type == got.Type
	every pair in registry_value_fields[want.type] {
		want[pair[0]] == got[pair[1]]
	}
}

default registry_changes := {"allowed": false}

registry_changes := {"allowed": true} if {
	some c in matched_containers
	c.registry_changes
	input.registryChanges.AddValues
	add_values := c.registry_changes.add_values
	[v |
		some v in input.registryChanges.AddValues
		some want in add_values
		registry_value_ok(want, v)
	]
}
