# Policy fragments: which may be loaded (issuer, feed, SVN, receipts), what a
# loaded fragment contributes to the metadata, the parameters nested fragments
# are loaded with, and the transparency trust lists receipts are checked by.
package framework

# What the fragment being loaded (package input.namespace) declares. These
# are only readable during its load_fragment query.
default fragment_containers := []

fragment_containers := data[input.namespace].containers

default fragment_fragments := []

fragment_fragments := data[input.namespace].fragments

default fragment_external_processes := []

fragment_external_processes := data[input.namespace].external_processes

default fragment_transparency_trust_lists := []

fragment_transparency_trust_lists := data[input.namespace].transparency_trust_lists

default fragment_platform_rules := []

fragment_platform_rules := data[input.namespace].platform_rules

# The parts of the fragment the policy said to include, in the current shape.
fragment_includes(includes) := {name: offered[name] | some name in includes} if {
	from := fragment_framework_version
	offered := {
		"containers": upgrade("container", fragment_containers, from),
		"fragments": upgrade("fragment", fragment_fragments, from),
		"external_processes": upgrade("external_process", fragment_external_processes, from),
		"transparency_trust_lists": upgrade("transparency_trust_lists", fragment_transparency_trust_lists, from),
		"platform_rules": upgrade("platform_rules", fragment_platform_rules, from),
	}
}

# data.metadata.issuers[issuer].feeds[feed] lists what each loaded fragment
# of that issuer and feed included, most recent first.
issuer_known(issuer) if data.metadata.issuers[issuer]

feed_known(issuer, feed) if data.metadata.issuers[issuer].feeds[feed]

issuer_record(includes) := object.union(old, {"feeds": {input.feed: array.concat([fragment_includes(includes)], old.feeds[input.feed])}}) if {
	feed_known(input.issuer, input.feed)
	old := data.metadata.issuers[input.issuer]
}

issuer_record(includes) := object.union(old, {"feeds": {input.feed: [fragment_includes(includes)]}}) if {
	not feed_known(input.issuer, input.feed)
	old := data.metadata.issuers[input.issuer]
}

issuer_record(includes) := {"feeds": {input.feed: [fragment_includes(includes)]}} if {
	not issuer_known(input.issuer)
}

default policy_fragments := []

policy_fragments := data.policy.fragments if policy_is_current

policy_fragments := upgrade("fragment", data.policy.fragments, policy_framework_version) if policy_is_older

candidate_fragments := array.concat(policy_fragments, [f | f := loaded_fragments[_].fragments[_]])

# Parameter sets a fragment may be loaded with: from the policy and from the
# fragments that nested it. data.metadata.fragment_parameters is a set of
# {"issuer", "feed", "parameters"}.
default fragment_parameters_for(_, _) := []

fragment_parameters_for(issuer, feed) := array.concat(
	[p.parameters | some p in data.metadata.fragment_parameters; p.issuer == issuer; p.feed == feed],
	[p.parameters | some p in policy_fragments; p.issuer == issuer; p.feed == feed; p.parameters],
)

# SVNs are numbers (possibly as strings); semantic versions are deprecated.
svn_ok(svn, minimum) if {
	semver.is_valid(svn)
	semver.is_valid(minimum)
	semver.compare(svn, minimum) >= 0
}

svn_ok(svn, minimum) if to_number(svn) >= to_number(minimum)

fragment_issuer_feed_ok(fragment) if {
	input.issuer == fragment.issuer
	input.feed == fragment.feed
}

# An SVN in the signed header is checked before the module is loaded.
header_svn_ok(_) if not input.has_header_svn

header_svn_ok(fragment) if {
	input.has_header_svn
	svn_ok(input.header_svn, fragment.minimum_svn)
}

fragment_svn := data[input.namespace].svn

# Once loaded, the module's own SVN is checked, and must equal the header's.
module_svn_ok(minimum) if {
	fragment_svn
	not input.has_header_svn
	svn_ok(fragment_svn, minimum)
}

module_svn_ok(minimum) if {
	fragment_svn
	input.has_header_svn
	to_number(input.header_svn) == to_number(fragment_svn)
	svn_ok(fragment_svn, minimum)
}

module_svn_ok(minimum) if {
	not fragment_svn
	input.has_header_svn
	svn_ok(input.header_svn, minimum)
}

# input.receipts are the receipts the guest validated, each
# {"issuer": ledger, "ttl_subjects": [...]}. A requirement is "*" (any),
# "TTL:<subject>" or a ledger name; every one must be met.
receipt_requirement_satisfied(required) if {
	required == "*"
	count(input.receipts) > 0
}

receipt_requirement_satisfied(required) if {
	startswith(required, "TTL:")
	subject := substring(required, count("TTL:"), -1)
	some receipt in input.receipts
	subject in receipt.ttl_subjects
}

receipt_requirement_satisfied(required) if {
	required != "*"
	not startswith(required, "TTL:")
	some receipt in input.receipts
	receipt.issuer == required
}

fragment_receipts_ok(fragment) if {
	every required in object.get(fragment, "required_receipts", []) {
		receipt_requirement_satisfied(required)
	}
}

nested_parameters := [metadata_set_add("fragment_parameters", {"issuer": f.issuer, "feed": f.feed, "parameters": f.parameters}) |
	some f in fragment_fragments
	f.parameters
]

metadata_set_add(name, value) := {"name": name, "type": "set", "action": "add", "value": value}

default load_fragment := {"allowed": false}

# load_fragment is asked twice: before the module is loaded
# (fragment_loaded false: issuer, feed, header SVN, receipts; the answer
# carries the parameter sets to try) and after (module SVN; the answer
# records what the fragment includes).
load_fragment := {"allowed": true, "parameters": fragment_parameters_for(fragment.issuer, fragment.feed)} if {
	not input.fragment_loaded
	some fragment in candidate_fragments
	fragment_issuer_feed_ok(fragment)
	header_svn_ok(fragment)
	fragment_receipts_ok(fragment)
}

load_fragment := {
	"metadata": array.concat([metadata_update("issuers", input.issuer, issuer_record(fragment.includes))], nested_parameters),
	"add_module": "namespace" in fragment.includes,
	"allowed": true,
} if {
	input.fragment_loaded
	some fragment in candidate_fragments
	fragment_issuer_feed_ok(fragment)
	module_svn_ok(fragment.minimum_svn)
}

# parameter(name) in a fragment: the value it was loaded with, else the
# default its parameters_api declares.
extract_parameter(name, given, declared) := given[name] if name in object.keys(given)

else := declared[name].default if {
	"default" in object.keys(declared[name])
}

default policy_transparency_trust_lists := []

policy_transparency_trust_lists := data.policy.transparency_trust_lists

candidate_transparency_trust_lists := array.concat(
	policy_transparency_trust_lists,
	[t | t := loaded_fragments[_].transparency_trust_lists[_]],
)

# Ledgers the matching trust lists let this list carry keys for; "*" is any.
ttl_allowed_ledgers(issuer, subject, svn) := {ledger |
	some ttl in candidate_transparency_trust_lists
	ttl.issuer == issuer
	ttl.subject == subject
	svn_ok(svn, ttl.minimum_svn)
	some ledger in ttl.allowed_ledgers
}

ttl_granted(allowed, offered) := {l | some l in offered; l in allowed} if not "*" in allowed

ttl_granted(allowed, offered) := {l | some l in offered} if "*" in allowed

default load_transparency_trust_list := {"allowed": false}

load_transparency_trust_list := {"allowed": true, "allowed_ledgers": granted} if {
	granted := ttl_granted(ttl_allowed_ledgers(input.issuer, input.subject, input.svn), input.ledgers)
	count(granted) > 0
}
