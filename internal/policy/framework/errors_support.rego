# Conditions the error messages share: does any candidate pass this one
# check, on its own?
package framework

any_container(check) if {
	some c in matched_containers
	check_passes(check, c)
}

check_passes("privileged", c) if privileged_ok(c.allow_elevated)

check_passes("seccomp", c) if seccomp_ok(c.seccomp_profile_sha256)

check_passes("no_new_privileges", c) if noNewPrivileges_ok(c.no_new_privileges)

check_passes("user", c) if user_ok(c.user)

default command_matches := false

command_matches if {
	input.rule == "create_container"
	some c in matched_containers
	command_ok(c.command)
}

command_matches if {
	input.rule == "exec_in_container"
	some c in matched_containers
	exec_process_matches(c)
}

command_matches if {
	input.rule == "exec_external"
	some p in candidate_external_processes
	command_ok(p.command)
}

env_known(env) if {
	rule_is({"create_container", "exec_in_container"})
	some c in matched_containers
	env_allowed(c.env_rules, env)
}

env_known(env) if {
	input.rule == "exec_external"
	some p in candidate_external_processes
	env_allowed(p.env_rules, env)
}

env_rule_matches(rule) if {
	some env in input.envList
	env_rule_ok(rule, env)
}

missing_required_env(item) if {
	some rule in item.env_rules
	rule.required
	not env_rule_matches(rule)
}

default working_dir_matches := false

working_dir_matches if {
	rule_is({"create_container", "exec_in_container"})
	some c in matched_containers
	workingDirectory_ok(c.working_dir)
}

working_dir_matches if {
	input.rule == "exec_external"
	some p in candidate_external_processes
	workingDirectory_ok(p.working_dir)
}

mount_matches(m) if {
	some c in matched_containers
	mount_ok(c.mounts, c.allow_elevated, m)
}

# For exec_in_container the process's own fields are checked.
exec_process_check(check) if {
	some c in matched_containers
	some p in c.exec_processes
	command_ok(p.command)
	workingDirectory_ok(p.working_dir)
	check_passes(check, p)
}

default no_new_privileges_matches := false

no_new_privileges_matches if {
	input.rule == "create_container"
	any_container("no_new_privileges")
}

no_new_privileges_matches if {
	input.rule == "exec_in_container"
	exec_process_check("no_new_privileges")
}

default user_matches := false

user_matches if {
	input.rule == "create_container"
	any_container("user")
}

user_matches if {
	input.rule == "exec_in_container"
	exec_process_check("user")
}

default fragment_issuer_matches := false

fragment_issuer_matches if {
	some f in candidate_fragments
	f.issuer == input.issuer
}

default fragment_feed_matches := false

fragment_feed_matches if count(same_fragment) > 0

fragment_feed_matches if input.feed in data.metadata.issuers[input.issuer]

same_fragment := [f | some f in candidate_fragments; fragment_issuer_feed_ok(f)]

loaded_fragment_check if {
	input.rule == "load_fragment"
	fragment_feed_matches
	input.fragment_loaded
}

loaded_fragment_framework_check if {
	input.rule == "load_fragment"
	input.fragment_loaded
	input.namespace
}

default fragment_version_is_valid := false

fragment_version_is_valid if {
	input.fragment_loaded
	some f in same_fragment
	svn_ok(fragment_svn, f.minimum_svn)
}

fragment_version_is_valid if {
	input.has_header_svn
	some f in same_fragment
	svn_ok(input.header_svn, f.minimum_svn)
}

# A number where the minimum is a semantic version, or the other way round.
default svn_mismatch := false

svn_mismatch if {
	input.fragment_loaded
	some f in same_fragment
	to_number(fragment_svn)
	semver.is_valid(f.minimum_svn)
}

svn_mismatch if {
	input.fragment_loaded
	some f in same_fragment
	semver.is_valid(fragment_svn)
	to_number(f.minimum_svn)
}

svn_mismatch if {
	input.fragment_loaded
	some f in same_fragment
	semver.is_valid(f.minimum_svn)
	input.has_header_svn
}

default ttl_matches := false

ttl_matches if {
	some ttl in candidate_transparency_trust_lists
	ttl.issuer == input.issuer
	ttl.subject == input.subject
	svn_ok(input.svn, ttl.minimum_svn)
}

default error_objects := null

error_objects := matched_containers if input.rule == "create_container"

error_objects := [p | some p in matched_containers[_].exec_processes] if input.rule == "exec_in_container"

error_objects := candidate_external_processes if input.rule == "exec_external"

error_objects := candidate_fragments if input.rule == "load_fragment"
