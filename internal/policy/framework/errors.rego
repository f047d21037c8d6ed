# Why a request was denied. The guest asks data.policy.reason with
# input.rule set to the enforcement point; each message below names the
# condition that failed, for that rule only.
package framework

reason := {"errors": errors, "error_objects": error_objects}

rule_is(names) if input.rule in names

errors contains "blockdev mounts are not supported" if rule_is({"mount_blockdev", "unmount_blockdev"})

errors contains "deviceHash not found" if {
	input.rule == "mount_device"
	not deviceHash_ok
}

errors contains "device already mounted at path" if {
	rule_is({"mount_device", "rw_mount_device"})
	device_mounted(input.target)
}

errors contains "mountpoint invalid" if {
	rule_is({"mount_device", "rw_mount_device"})
	not mount_target_ok
}

errors contains "no device at path to unmount" if {
	rule_is({"unmount_device", "rw_unmount_device"})
	not data.metadata.devices[input.unmountTarget]
	not data.metadata.rw_devices[input.unmountTarget]
}

errors contains "received read-only unmount request, but device provided is read-write" if {
	input.rule == "unmount_device"
	not data.metadata.devices[input.unmountTarget]
	data.metadata.rw_devices[input.unmountTarget]
}

errors contains "received read-write unmount request, but device provided is read-only" if {
	input.rule == "rw_unmount_device"
	not data.metadata.rw_devices[input.unmountTarget]
	data.metadata.devices[input.unmountTarget]
}

errors contains "unencrypted scratch not allowed, non-readonly mount request for SCSI disk must request encryption" if {
	input.rule == "rw_mount_device"
	not allow_unencrypted_scratch
	not input.encrypted
}

errors contains "ensureFilesystem must be set on rw device mounts" if {
	input.rule == "rw_mount_device"
	not input.ensureFilesystem
}

errors contains "rw device mounts uses a filesystem that is not allowed" if {
	input.rule == "rw_mount_device"
	not input.filesystem in scratch_filesystem
}

errors contains "container already started" if {
	input.rule == "create_container"
	container_started
}

errors contains "container not started" if {
	rule_is({"exec_in_container", "shutdown_container", "signal_container_process"})
	not container_started
}

errors contains "overlay has already been mounted" if {
	input.rule == "mount_overlay"
	overlay_exists
}

errors contains "no overlay at path to unmount" if {
	input.rule == "unmount_overlay"
	not overlay_mounted(input.unmountTarget)
}

errors contains "no matching containers for overlay" if {
	input.rule == "mount_overlay"
	not overlay_matches
}

errors contains "privileged escalation not allowed" if {
	is_linux
	input.rule == "create_container"
	not any_container("privileged")
}

errors contains "invalid command" if {
	rule_is({"create_container", "exec_in_container", "exec_external"})
	not command_matches
}

errors contains concat(" ", ["invalid env list:", concat(",", unknown)]) if {
	rule_is({"create_container", "exec_in_container", "exec_external"})
	unknown := [split(env, "=")[0] | some env in input.envList; not env_known(env)]
	count(unknown) > 0
}

errors contains "missing required environment variable" if {
	is_linux
	input.rule == "create_container"
	not container_started
	some c in create_base
	missing_required_env(c)
}

errors contains "missing required environment variable" if {
	input.rule == "exec_in_container"
	container_started
	some c in exec_initial
	missing_required_env(c)
}

errors contains "missing required environment variable" if {
	input.rule == "exec_external"
	some p in external_initial
	missing_required_env(p)
}

# Every variable is allowed by some container, yet no container allows them
# all together.
errors contains "invalid env list" if {
	input.rule == "create_container"
	every c in matched_containers {
		create_security_ok(c)
		some env in input.envList
		not env_allowed(c.env_rules, env)
	}
}

errors contains "invalid working directory" if {
	rule_is({"create_container", "exec_in_container", "exec_external"})
	not working_dir_matches
}

errors contains concat(" ", ["invalid mount list:", concat(",", bad)]) if {
	is_linux
	input.rule == "create_container"
	bad := [m.destination | some m in input.mounts; not mount_matches(m)]
	count(bad) > 0
}

errors contains "target isn't allowed to receive the signal" if {
	input.rule == "signal_container_process"
	not signal_allowed
}

errors contains "device already mounted at path" if {
	input.rule == "plan9_mount"
	plan9_mounted(input.target)
}

errors contains "no device at path to unmount" if {
	input.rule == "plan9_unmount"
	not plan9_mounted(input.unmountTarget)
}

errors contains "scratch already mounted at path" if {
	input.rule == "scratch_mount"
	scratch_mounted(input.target)
}

errors contains "unencrypted scratch not allowed" if {
	input.rule == "scratch_mount"
	not allow_unencrypted_scratch
	not input.encrypted
}

errors contains "no scratch at path to unmount" if {
	input.rule == "scratch_unmount"
	not scratch_mounted(input.unmountTarget)
}

errors contains "log provider not allowed by policy" if {
	input.rule == "log_provider"
	not log_provider.allowed
}

errors contains concat(" ", ["framework_version is missing. Current version:", version]) if {
	policy_framework_version == null
}

errors contains concat(" ", ["framework_version is ahead of the current version:", policy_framework_version, "is greater than", version]) if {
	semver.compare(policy_framework_version, version) > 0
}

errors contains "containers only distinguishable by allow_stdio_access" if {
	is_linux
	input.rule == "create_container"
	not container_started
	outcome := create_outcome(create_seccomp)
	count(outcome.items) > 0
	not same_stdio(outcome.items)
}

errors contains "containers only distinguishable by allow_stdio_access" if {
	is_windows
	input.rule == "create_container"
	not container_started
	outcome := create_outcome_windows(windows_create_initial)
	count(outcome.items) > 0
	not same_stdio(outcome.items)
}

errors contains "external processes only distinguishable by allow_stdio_access" if {
	input.rule == "exec_external"
	count(external_outcome.items) > 0
	not same_stdio(external_outcome.items)
}

errors contains "invalid noNewPrivileges" if {
	is_linux
	rule_is({"create_container", "exec_in_container"})
	not no_new_privileges_matches
}

errors contains "invalid user" if {
	rule_is({"create_container", "exec_in_container"})
	not user_matches
}

errors contains "capabilities don't match" if {
	is_linux
	input.rule == "create_container"
	not container_started
	outcome := create_outcome(create_seccomp)
	count(outcome.items) == 0
}

errors contains "capabilities don't match" if {
	is_linux
	input.rule == "exec_in_container"
	container_started
	count(exec_outcome.items) == 0
}

errors contains "devices not supported" if {
	is_linux
	input.rule == "create_container"
	not devices_ok([], input.devices)
}

errors contains "containers only distinguishable by capabilties" if {
	is_linux
	input.rule == "create_container"
	allow_capability_dropping
	not container_started
	count(create_base) > 0
	env := env_stage(create_base)
	count(env.items) > 0
	not all_caps_sets_are_equal(largest_caps_sets_for_all(env.items, input.privileged))
}

errors contains "invalid seccomp" if {
	is_linux
	input.rule == "create_container"
	not any_container("seccomp")
}

errors contains "invalid fragment issuer" if {
	input.rule == "load_fragment"
	not fragment_issuer_matches
}

errors contains "invalid fragment feed" if {
	input.rule == "load_fragment"
	fragment_issuer_matches
	not fragment_feed_matches
}

errors contains "fragment svn is below the specified minimum" if {
	loaded_fragment_check
	not svn_mismatch
	not fragment_version_is_valid
}

errors contains "fragment svn and the specified minimum are different types" if {
	loaded_fragment_check
	svn_mismatch
}

errors contains sprintf("svn in header %v does not match svn in fragment rego %v", [input.header_svn, fragment_svn]) if {
	loaded_fragment_check
	input.has_header_svn
	some f in same_fragment
	fragment_svn
	to_number(fragment_svn) != to_number(input.header_svn)
}

errors contains "missing fragment svn in either header or rego payload" if {
	loaded_fragment_check
	not input.has_header_svn
	count(same_fragment) > 0
	not fragment_svn
}

errors contains sprintf("missing receipt from %s", [required]) if {
	input.rule == "load_fragment"
	not input.fragment_loaded
	some f in same_fragment
	some required in object.get(f, "required_receipts", [])
	not receipt_requirement_satisfied(required)
}

errors contains concat(" ", ["fragment framework_version is missing. Current version:", version]) if {
	loaded_fragment_framework_check
	fragment_framework_version == null
}

errors contains concat(" ", ["fragment framework_version is ahead of the current version:", fragment_framework_version, "is greater than", version]) if {
	loaded_fragment_framework_check
	semver.compare(fragment_framework_version, version) > 0
}

errors contains "no TTL candidate matches the provided TTL's issuer, subject and svn" if {
	input.rule == "load_transparency_trust_list"
	not ttl_matches
}

errors contains "The provided TTL does not contain any ledgers it is allowed to load" if {
	input.rule == "load_transparency_trust_list"
	ttl_matches
	count(ttl_granted(ttl_allowed_ledgers(input.issuer, input.subject, input.svn), input.ledgers)) == 0
}
