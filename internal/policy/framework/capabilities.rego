# Linux capabilities: what a container may hold and, with dropping, which of
# the requested ones it keeps.
package framework

cap_sets := ["bounding", "effective", "inheritable", "permitted", "ambient"]

# same_members: the same length and the same elements, duplicates or not.
same_members(allowed, requested) if {
	count(allowed) == count(requested)
	{x | some x in allowed} == {x | some x in requested}
}

caps_ok(allowed, requested) if {
	is_linux
	every set in cap_sets {
		same_members(allowed[set], requested[set])
	}
}

caps_ok(_, _) if is_windows

privileged_default_caps := {
	"bounding": caps,
	"effective": caps,
	"inheritable": caps,
	"permitted": caps,
	"ambient": set(),
} if {
	caps := {cap | some cap in data.defaultPrivilegedCapabilities}
}

unprivileged_default_caps := {
	"bounding": caps,
	"effective": caps,
	"inheritable": set(),
	"permitted": caps,
	"ambient": set(),
} if {
	caps := {cap | some cap in data.defaultUnprivilegedCapabilities}
}

# A container without capabilities of its own (an older policy) gets the
# defaults for how it is started.
container_capabilities(container, _) := container.capabilities if container.capabilities != null

container_capabilities(container, true) := privileged_default_caps if {
	container.capabilities == null
	container.allow_elevated
}

container_capabilities(container, false) := unprivileged_default_caps if {
	container.capabilities == null
	container.allow_elevated
}

container_capabilities(container, _) := unprivileged_default_caps if {
	container.capabilities == null
	not container.allow_elevated
}

kept_caps(allowed) := {set: {cap | some cap in input.capabilities[set]; cap in allowed[set]} | some set in cap_sets} if {
	every set in cap_sets {
		allowed[set]
	}
}

caps_size(caps) := sum([count(caps[set]) | some set in cap_sets])

# The candidates' kept sets that drop the fewest capabilities.
largest_caps_sets_for_all(containers, privileged) := [kept |
	some kept in all_kept
	caps_size(kept) == most
] if {
	all_kept := [kept_caps(container_capabilities(c, privileged)) | some c in containers]
	most := max([caps_size(kept) | some kept in all_kept])
}

all_caps_sets_are_equal(sets) := {set: intersection(members) |
	some set in cap_sets
	members := {caps[set] | some caps in sets}
} if {
	every set in cap_sets {
		intersection({caps[set] | some caps in sets}) == union({caps[set] | some caps in sets})
	}
}

caps_list_for(_, _) := input.capabilities if {
	is_linux
	not allow_capability_dropping
}

caps_list_for(containers, privileged) := all_caps_sets_are_equal(largest_caps_sets_for_all(containers, privileged)) if {
	is_linux
	allow_capability_dropping
}

# caps_stage(containers, privileged) narrows containers to those whose
# capabilities equal the kept ones, and returns both.
caps_stage(containers, privileged) := {"caps_list": caps, "items": [c |
	some c in containers
	caps_ok(container_capabilities(c, privileged), caps)
]} if {
	caps := caps_list_for(containers, privileged)
}
