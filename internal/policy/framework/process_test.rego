package framework_test

import data.framework

test_env_rule_shapes if {
	framework.env_rule_ok({"pattern": "A=1", "strategy": "string"}, "A=1")
	not framework.env_rule_ok({"pattern": "A=1", "strategy": "string"}, "A=12")
	framework.env_rule_ok({"pattern": "A=.+", "strategy": "re2"}, "A=12")
	framework.env_rule_ok({"name": "A", "name_strategy": "string", "value": "x=y", "value_strategy": "string"}, "A=x=y")
	not framework.env_rule_ok({"name": "A", "name_strategy": "string", "value": "x", "value_strategy": "string"}, "A")
}

rules := [
	{"pattern": "PATH=/bin", "strategy": "string", "required": true},
	{"pattern": "OPT=.*", "strategy": "re2", "required": false},
]

test_env_list_needs_required_and_allows_only_known if {
	framework.envList_ok(rules, ["PATH=/bin", "OPT=1"])
	not framework.envList_ok(rules, ["OPT=1"])
	not framework.envList_ok(rules, ["PATH=/bin", "OTHER=1"])
}

test_env_dropping_keeps_the_allowed_variables if {
	kept := framework.env_list_for([{"env_rules": rules}])
		with input.envList as ["PATH=/bin", "SECRET=1"]
		with data.policy.allow_environment_variable_dropping as true
	kept == {"PATH=/bin"}
}

test_env_without_dropping_is_the_request if {
	framework.env_list_for([{"env_rules": rules}]) == ["PATH=/bin", "SECRET=1"] with input.envList as ["PATH=/bin", "SECRET=1"]
}

linux := {"operatingsystem": {"ostype": "linux"}}

user := {
	"umask": "0022",
	"user_idname": {"pattern": "1000", "strategy": "id"},
	"group_idnames": [{"pattern": "adm.*", "strategy": "re2"}],
}

test_user_by_id_and_group_by_pattern if {
	framework.user_ok(user) with data.metadata as linux
		with input as {"umask": "0022", "user": {"id": "1000", "name": "app"}, "groups": [{"id": "4", "name": "adm"}]}
	not framework.user_ok(user) with data.metadata as linux
		with input as {"umask": "0022", "user": {"id": "0", "name": "root"}, "groups": []}
	not framework.user_ok(user) with data.metadata as linux
		with input as {"umask": "0077", "user": {"id": "1000", "name": "app"}, "groups": []}
}

test_privileged_needs_elevation if {
	framework.privileged_ok(false) with data.metadata as linux with input.privileged as false
	not framework.privileged_ok(false) with data.metadata as linux with input.privileged as true
	framework.privileged_ok(true) with data.metadata as linux with input.privileged as true
}

test_command_is_compared_whole if {
	framework.command_ok(["a", "b"]) with input.argList as ["a", "b"]
	not framework.command_ok(["a"]) with input.argList as ["a", "b"]
}
