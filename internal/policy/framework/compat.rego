# Objects written for an older framework are brought to the current shape
# here: fields that did not exist then get the value the older framework
# behaved as, and fields the framework does not know are left behind.
package framework

# upgrade(kind, objects, from) is objects as the current framework reads them.
upgrade(_, objects, from) := objects if semver.compare(from, version) == 0

upgrade("container", objects, from) := [upgrade_container(c, from) | some c in objects] if {
	semver.compare(from, version) < 0
}

upgrade("external_process", objects, from) := [upgrade_process(p) | some p in objects] if {
	semver.compare(from, version) < 0
}

upgrade("fragment", objects, from) := [upgrade_fragment(f) | some f in objects] if {
	semver.compare(from, version) < 0
}

# Trust lists and platform rules appeared in 0.5.0; before that the names
# may mean something else to the policy, so they are ignored.
upgrade(kind, objects, from) := objects if {
	kind in {"transparency_trust_lists", "platform_rules"}
	semver.compare(from, version) < 0
	semver.compare(from, "0.5.0") >= 0
}

upgrade(kind, _, from) := [] if {
	kind in {"transparency_trust_lists", "platform_rules"}
	semver.compare(from, "0.5.0") < 0
}

since(from, release) if semver.compare(from, release) >= 0

before(from, release) if semver.compare(from, release) < 0

upgrade_container(c, from) := {
	"command": c.command,
	"env_rules": c.env_rules,
	"layers": c.layers,
	"mounts": c.mounts,
	"allow_elevated": c.allow_elevated,
	"working_dir": c.working_dir,
	"exec_processes": c.exec_processes,
	"signals": old_signals(c, from),
	"allow_stdio_access": c.allow_stdio_access,
	"no_new_privileges": old_no_new_privileges(c, from),
	"user": old_user(c, from),
	"capabilities": old_capabilities(c, from),
	"seccomp_profile_sha256": old_seccomp(c, from),
}

old_no_new_privileges(c, from) := c.no_new_privileges if since(from, "0.2.0")

old_no_new_privileges(_, from) := false if before(from, "0.2.0")

any_idname := {"pattern": "", "strategy": "any"}

old_user(c, from) := c.user if since(from, "0.2.1")

old_user(_, from) := {"umask": "0022", "user_idname": any_idname, "group_idnames": [any_idname]} if {
	before(from, "0.2.1")
}

# null capabilities are resolved when a container is created, from whether
# it is privileged (see container_capabilities).
old_capabilities(c, from) := c.capabilities if since(from, "0.2.2")

old_capabilities(_, from) := null if before(from, "0.2.2")

old_seccomp(c, from) := c.seccomp_profile_sha256 if since(from, "0.2.3")

old_seccomp(_, from) := "" if before(from, "0.2.3")

# Before 0.4.1 SIGKILL and SIGTERM could always be sent to the init process.
old_signals(c, from) := c.signals if since(from, "0.4.1")

old_signals(c, from) := array.concat(c.signals, [9, 15]) if before(from, "0.4.1")

upgrade_process(p) := {
	"command": p.command,
	"env_rules": p.env_rules,
	"working_dir": p.working_dir,
	"allow_stdio_access": p.allow_stdio_access,
}

# required_receipts and parameters are honoured even in older policies:
# both can only restrict what is loaded.
upgrade_fragment(f) := {
	"issuer": f.issuer,
	"feed": f.feed,
	"minimum_svn": f.minimum_svn,
	"includes": f.includes,
	"required_receipts": object.get(f, "required_receipts", []),
	"parameters": object.get(f, "parameters", {}),
}
