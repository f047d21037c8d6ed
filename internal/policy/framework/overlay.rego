# Which containers a policy (and its loaded fragments) allow, and the overlay
# mount that ties a container id to the containers its layers could be.
package framework

# Every fragment loaded so far, in issuer, feed and load order.
loaded_fragments := [f | f := data.metadata.issuers[_].feeds[_][_]]

# A policy whose containers all come from fragments need not define any.
default policy_containers := []

policy_containers := data.policy.containers if policy_is_current

policy_containers := upgrade("container", data.policy.containers, policy_framework_version) if policy_is_older

fragment_containers_loaded := [c | c := loaded_fragments[_].containers[_]]

# One container of the policy becomes one per platform rule, if there are any.
candidate_containers := [c |
	some declared in array.concat(policy_containers, fragment_containers_loaded)
	some c in with_platform_rules(declared)
]

default policy_platform_rules := []

policy_platform_rules := data.policy.platform_rules if policy_is_current

policy_platform_rules := upgrade("platform_rules", data.policy.platform_rules, policy_framework_version) if {
	policy_is_older
}

default candidate_platform_rules := []

candidate_platform_rules := array.concat(policy_platform_rules, [r | r := loaded_fragments[_].platform_rules[_]])

with_platform_rules(container) := [container] if count(candidate_platform_rules) == 0

with_platform_rules(container) := [platform_variant(container, rule) | some rule in candidate_platform_rules] if {
	count(candidate_platform_rules) > 0
}

platform_variant(container, rule) := object.union(container, {
	"env_rules": array.concat(object.get(container, "env_rules", []), object.get(rule, "env_rules", [])),
	"mounts": array.concat(object.get(container, "mounts", []), object.get(rule, "mounts", [])),
})

# layerPaths come top layer first; a policy lists layers bottom first.
layerPaths_ok(layers) if {
	n := count(layers)
	count(input.layerPaths) == n
	every i, path in input.layerPaths {
		layers[(n - i) - 1] == data.metadata.devices[path]
	}
}

layerHashes_ok(layers) if {
	n := count(layers)
	count(input.layerHashes) == n
	every i, hash in input.layerHashes {
		layers[(n - i) - 1] == hash
	}
}

default overlay_exists := false

overlay_exists if data.metadata.matches[input.containerID]

overlay_mounted(target) if data.metadata.overlayTargets[target]

overlay_candidates := [c | some c in candidate_containers; layerPaths_ok(c.layers)]

default overlay_matches := false

overlay_matches if count(overlay_candidates) > 0

default mount_overlay := {"allowed": false}

mount_overlay := {"metadata": [matches, target], "allowed": true} if {
	not overlay_exists
	not overlay_mounted(input.target)
	overlay_matches
	matches := metadata_add("matches", input.containerID, overlay_candidates)
	target := metadata_add("overlayTargets", input.target, true)
}

default unmount_overlay := {"allowed": false}

unmount_overlay := {"metadata": [metadata_remove("overlayTargets", input.unmountTarget)], "allowed": true} if {
	overlay_mounted(input.unmountTarget)
}

cim_candidates := [c |
	some c in candidate_containers
	layerHashes_ok(c.layers)
	input.mountedCim == c.mounted_cim
]

default mount_cims := {"allowed": false}

mount_cims := {"metadata": [metadata_add("matches", input.containerID, cim_candidates)], "allowed": true} if {
	not overlay_exists
	count(cim_candidates) > 0
}
