package framework_test

import data.framework

test_point_info_for_a_current_rule if {
	info := framework.enforcement_point_info with input.name as "mount_device" with data.policy.api_version as "0.12.0"
	info.available
	info.default_results == {"allowed": false}
	not info.unknown
}

test_point_info_for_a_rule_newer_than_the_policy if {
	info := framework.enforcement_point_info with input.name as "host_network" with data.policy.api_version as "0.10.0"
	not info.available
	info.default_results == {"allowed": false}
}

test_point_info_without_api_version if {
	framework.enforcement_point_info.version_missing with input.name as "mount_device"
}

test_point_info_for_an_unknown_rule if {
	framework.enforcement_point_info.unknown with input.name as "no_such_rule" with data.policy.api_version as "0.12.0"
}

test_capability_dropping_needs_framework_0_2_2 if {
	not framework.allow_capability_dropping with data.policy.framework_version as "0.2.1"
		with data.policy.allow_capability_dropping as true
	framework.allow_capability_dropping with data.policy.framework_version as "0.2.2"
		with data.policy.allow_capability_dropping as true
}

test_svn_numbers_and_versions if {
	framework.svn_ok("2", "1")
	framework.svn_ok(2, "1")
	not framework.svn_ok("0", "1")
	framework.svn_ok("1.2.0", "1.1.0")
}
