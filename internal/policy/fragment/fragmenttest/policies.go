package fragmenttest

import (
	"fmt"

	"github.com/linux-gcs/gcs/internal/policy/policytest"
)

// FeedPolicy is a base policy for end-to-end tests: fragments of issuer
// on feed from SVN minimumSVN may add containers; it has none of its own.
// Its mount_overlay matches any overlay with every container the policy
// and its loaded fragments offer (test layers are directories, not
// devices the policy saw mounted); container creation, exec, signals and
// shutdown are the framework's rules; everything else is allowed.
func FeedPolicy(issuer, feed, minimumSVN string) string {
	return fmt.Sprintf(`package policy

api_version := "0.10.0"
framework_version := "0.5.0"

fragments := [{"issuer": %q, "feed": %q, "minimum_svn": %q, "includes": ["containers"]}]

containers := []

mount_overlay := {"allowed": true, "metadata": [data.framework.metadata_add("matches", input.containerID, data.framework.candidate_containers)]}
create_container := data.framework.create_container
exec_in_container := data.framework.exec_in_container
shutdown_container := data.framework.shutdown_container
signal_container_process := data.framework.signal_container_process
load_fragment := data.framework.load_fragment
reason := data.framework.reason

mount_device := {"allowed": true}
unmount_device := {"allowed": true}
unmount_overlay := {"allowed": true}
exec_external := {"allowed": true, "env_list": null, "allow_stdio_access": true}
plan9_mount := {"allowed": true}
plan9_unmount := {"allowed": true}
get_properties := {"allowed": true}
dump_stacks := {"allowed": true}
runtime_logging := {"allowed": true}
scratch_mount := {"allowed": true}
scratch_unmount := {"allowed": true}
`, issuer, feed, minimumSVN)
}

// ScriptsFragment is a fragment (package infra) of the given SVN offering
// one container per script: sh -c script, any environment, any user, the
// default capabilities and mounts (as CRI gives them), stdio allowed.
func ScriptsFragment(svn string, scripts ...string) string {
	return scriptsFragment(svn, "null", "[]", scripts)
}

// GcsctlRunFragment is ScriptsFragment for containers as "gcsctl run"
// makes them: with the capabilities of `runc spec`.
func GcsctlRunFragment(svn string, scripts ...string) string {
	const caps = `["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]`
	return scriptsFragment(svn,
		`{"bounding": `+caps+`, "effective": `+caps+`, "permitted": `+caps+`, "inheritable": [], "ambient": []}`,
		"[]", scripts)
}

func scriptsFragment(svn, capabilities, mounts string, scripts []string) string {
	containers := make([]policytest.Container, 0, len(scripts))
	for _, script := range scripts {
		containers = append(containers, policytest.Container{
			Command:      []string{"sh", "-c", script},
			EnvRules:     `[{"pattern": ".*", "strategy": "re2", "required": false}]`,
			Capabilities: capabilities, Mounts: mounts, AllowStdio: true,
		})
	}
	return policytest.Fragment("infra", svn, containers...)
}
