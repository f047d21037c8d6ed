# The framework's own version, the versions a policy declares, the policy's
# flags, and how the guest learns what an enforcement point needs.
package framework

version := "0.5.0"

default policy_framework_version := null

policy_framework_version := data.policy.framework_version

# framework_svn and api_svn are the names policies used before *_version.
policy_framework_version := data.policy.framework_svn

default policy_api_version := null

policy_api_version := data.policy.api_version

policy_api_version := data.policy.api_svn

default fragment_framework_version := null

fragment_framework_version := data[input.namespace].framework_version

fragment_framework_version := data[input.namespace].framework_svn

# policy_is_current and policy_is_older are undefined, not false, when the
# policy declares no valid version: then neither branch of a version switch runs.
policy_is_current if semver.compare(policy_framework_version, version) == 0

policy_is_older if semver.compare(policy_framework_version, version) < 0

is_linux if data.metadata.operatingsystem.ostype == "linux"

is_windows if data.metadata.operatingsystem.ostype == "windows"

# Flags a policy sets for itself; an absent flag leaves the rule undefined.
allow_properties_access := data.policy.allow_properties_access

allow_dump_stacks := data.policy.allow_dump_stacks

allow_runtime_logging := data.policy.allow_runtime_logging

allow_environment_variable_dropping := data.policy.allow_environment_variable_dropping

allow_unencrypted_scratch := data.policy.allow_unencrypted_scratch

allow_log_provider_dropping := data.policy.allow_log_provider_dropping

allow_host_network := data.policy.allow_host_network

# Capability dropping arrived in framework 0.2.2: older policies never drop.
default allow_capability_dropping := false

allow_capability_dropping := data.policy.allow_capability_dropping if {
	semver.compare(policy_framework_version, "0.2.2") >= 0
}

# enforcement_point_info tells the guest, for input.name, whether the policy's
# API version knows the rule, what to assume when it is absent, and whether
# the framework answers instead.
default enforcement_point_info := {
	"available": false,
	"default_results": {"allow": false},
	"unknown": true,
	"invalid": false,
	"version_missing": false,
	"use_framework": false,
}

# info_unknown is the answer for a rule the API does not list.
info_unknown := {
	"available": false,
	"default_results": {"allow": false},
	"unknown": true,
	"invalid": false,
	"version_missing": false,
	"use_framework": false,
}

enforcement_point_info := object.union(info_unknown, {"unknown": false, "version_missing": true}) if {
	policy_api_version == null
}

enforcement_point_info := object.union(info_unknown, {"unknown": false, "invalid": true}) if {
	point := data.api.enforcement_points[input.name]
	semver.compare(data.api.version, point.introducedVersion) < 0
}

enforcement_point_info := {
	"available": available,
	"default_results": point.default_results,
	"unknown": false,
	"invalid": false,
	"version_missing": false,
	"use_framework": point.use_framework,
} if {
	point := data.api.enforcement_points[input.name]
	semver.compare(data.api.version, point.introducedVersion) >= 0
	available := semver.compare(policy_api_version, point.introducedVersion) >= 0
}
