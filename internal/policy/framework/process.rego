# What a process request must match: command, working directory, user,
# privileges, seccomp, environment and capabilities.
package framework

command_ok(command) if {
	count(input.argList) == count(command)
	every i, arg in input.argList {
		command[i] == arg
	}
}

workingDirectory_ok(working_dir) if input.workingDir == working_dir

# Environment rules come in two shapes: {"pattern", "strategy"} matched
# against the whole NAME=value string, or {"name", "name_strategy", "value",
# "value_strategy"} matched against each half.
env_pattern_ok(pattern, "string", value) if pattern == value

env_pattern_ok(pattern, "re2", value) if regex.match(anchored(pattern), value)

env_rule_ok(rule, env) if {
	pattern := object.get(rule, "pattern", null)
	strategy := object.get(rule, "strategy", null)
	pattern != null
	strategy != null
	env_pattern_ok(pattern, strategy, env)
}

env_rule_ok(rule, env) if {
	name := object.get(rule, "name", null)
	name_strategy := object.get(rule, "name_strategy", null)
	value := object.get(rule, "value", null)
	value_strategy := object.get(rule, "value_strategy", null)
	name != null
	name_strategy != null
	value != null
	value_strategy != null
	split_at := indexof(env, "=")
	split_at >= 0
	env_pattern_ok(name, name_strategy, substring(env, 0, split_at))
	env_pattern_ok(value, value_strategy, substring(env, split_at + 1, -1))
}

env_allowed(rules, env) if {
	some rule in rules
	env_rule_ok(rule, env)
}

required_rule_met(rule, envs) if {
	rule.required
	some env in envs
	env_rule_ok(rule, env)
}

required_rule_met(rule, _) if not rule.required

envList_ok(rules, envs) if {
	every rule in rules {
		required_rule_met(rule, envs)
	}
	every env in envs {
		env_allowed(rules, env)
	}
}

# The input variables some rule of the given rules allows.
allowed_envs(rules) := {env | some env in input.envList; env_allowed(rules, env)}

# env_list_for(items) is the environment a request may keep given the
# candidates (containers or processes) still in the running. With dropping,
# the candidates that keep the most variables win and must agree exactly.
env_list_for(_) := input.envList if not allow_environment_variable_dropping

env_list_for(items) := kept if {
	allow_environment_variable_dropping
	per_item := [allowed_envs(item.env_rules) | some item in items]
	most := max([count(envs) | some envs in per_item])
	best := {envs | some envs in per_item; count(envs) == most}
	kept := intersection(best)
	kept == union(best)
}

# env_stage(items) narrows items to those whose rules accept the kept
# environment, and returns both.
env_stage(items) := {"env_list": env_list, "items": [item | some item in items; envList_ok(item.env_rules, env_list)]} if {
	env_list := env_list_for(items)
}

same_stdio(items) if {
	every item in items {
		item.allow_stdio_access == items[0].allow_stdio_access
	}
}

privileged_ok(_) if {
	is_linux
	not input.privileged
}

privileged_ok(elevation_allowed) if {
	is_linux
	input.privileged
	input.privileged == elevation_allowed
}

privileged_ok(_) if is_windows

noNewPrivileges_ok(required) if {
	is_linux
	required
	input.noNewPrivileges
}

noNewPrivileges_ok(required) if {
	is_linux
	not required
}

noNewPrivileges_ok(_) if is_windows

idName_ok(_, "any", _)

idName_ok(pattern, "id", value) if pattern == value.id

idName_ok(pattern, "name", value) if pattern == value.name

idName_ok(pattern, "re2", value) if regex.match(anchored(pattern), value.name)

user_ok(user) if {
	is_linux
	user.umask == input.umask
	idName_ok(user.user_idname.pattern, user.user_idname.strategy, input.user)
	every group in input.groups {
		some allowed in user.group_idnames
		idName_ok(allowed.pattern, allowed.strategy, group)
	}
}

user_ok(user) if {
	is_windows
	input.user == user
}

seccomp_ok(profile_sha256) if {
	is_linux
	input.seccompProfileSHA256 == profile_sha256
}

seccomp_ok(_) if is_windows

# Device nodes cannot be granted by a policy yet: the request must list none,
# and lists no device twice.
devices_ok(expected, actual) if {
	{d | some d in expected} == {d | some d in actual}
	count({d | some d in actual}) == count(actual)
}
