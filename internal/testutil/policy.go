package testutil

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/policytest"
	"github.com/linux-gcs/gcs/internal/prot"
)

// RegoPath is the PATH variable GeneratedPolicy allows.
const RegoPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// regoCaps are the capabilities of Spec, which GeneratedPolicy lists.
func regoCaps() []string { return []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"} }

// GeneratedPolicy is a policy shaped like the reference's generator
// writes them (see internal/policy/testdata/corpus/generated): one
// container whose only layer is the busybox image with root digest
// layerHash (as the guest reads it from the image's dm-verity superblock),
// one exec and one external process, a second container without stdio
// access ("sh -c 'echo quiet'"), and the framework's rules. Without
// device-mapper a layer cannot be mounted through dm-verity: layerDir then
// names a directory that a custom mount_overlay rule accepts as the only
// layer, recording what the framework's would (a custom policy, as the
// reference allows), so that the rest is decided by the framework all the
// same.
func GeneratedPolicy(layerHash, layerDir string) string {
	caps, _ := json.Marshal(map[string][]string{
		"bounding": regoCaps(), "effective": regoCaps(), "inheritable": {}, "permitted": regoCaps(), "ambient": regoCaps(),
	})
	envRules := fmt.Sprintf(`[{"pattern": %q, "strategy": "string", "required": false}, {"pattern": "TERM=xterm", "strategy": "string", "required": false}]`, RegoPath)
	rules := []string{"mount_device", "rw_mount_device", "mount_blockdev", "unmount_device", "rw_unmount_device",
		"unmount_blockdev", "mount_overlay", "unmount_overlay", "mount_cims", "registry_changes", "create_container",
		"exec_in_container", "exec_external", "shutdown_container", "signal_container_process", "plan9_mount",
		"plan9_unmount", "get_properties", "dump_stacks", "runtime_logging", "load_fragment", "scratch_mount",
		"scratch_unmount", "log_provider", "load_transparency_trust_list", "host_network", "reason"}
	containers := policytest.Containers(
		policytest.Container{
			Command: []string{"sh", "-c", "env; exec sleep 1000"}, EnvRules: envRules, Layers: []string{layerHash},
			Capabilities: string(caps), ExecProcesses: `[{"command": ["sh", "-c", "echo exec-ok"], "signals": []}]`,
			Signals: []int{9}, AllowStdio: true,
		},
		policytest.Container{
			Command: []string{"sh", "-c", "echo quiet"}, EnvRules: envRules, Layers: []string{layerHash}, Capabilities: string(caps),
		},
	)
	var b strings.Builder
	fmt.Fprintf(&b, `package policy

import rego.v1

api_version := "0.12.0"
framework_version := "0.5.0"

fragments := []
containers := %s
external_processes := [
    {"command": ["echo", "ext-ok"], "env_rules": [{"pattern": %q, "strategy": "string", "required": false}], "working_dir": "/", "allow_stdio_access": true},
]
allow_properties_access := true
allow_dump_stacks := false
allow_runtime_logging := true
allow_host_network := false
allow_environment_variable_dropping := true
allow_unencrypted_scratch := true
allow_capability_dropping := true
allow_log_provider_dropping := false

`, containers, RegoPath)
	for _, r := range rules {
		if r == "mount_overlay" && layerDir != "" {
			fmt.Fprintf(&b, `default mount_overlay := {"allowed": false}

mount_overlay := {"allowed": true, "metadata": [
	{"name": "matches", "action": "add", "key": input.containerID, "value": data.policy.containers},
	{"name": "overlayTargets", "action": "add", "key": input.target, "value": true},
]} if {
	input.layerPaths == [%q]
	not data.metadata.overlayTargets[input.target]
}
`, layerDir)
			continue
		}
		fmt.Fprintf(&b, "%s := data.framework.%s\n", r, r)
	}
	return b.String()
}

// GeneratedPolicySpec is the spec of the container GeneratedPolicy
// allows, but for its environment and args: Spec with the default mounts
// a policy allows unlisted, with the one of the two cgroup mounts that
// matches the machine's /sys/fs/cgroup.
func GeneratedPolicySpec(rootfs string, env []string, args ...string) *specs.Spec {
	spec := Spec(rootfs, args...)
	spec.Process.Env = env
	var kept []specs.Mount
	cgroupType := "cgroup"
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		cgroupType = "cgroup2"
	}
	for _, m := range policy.DefaultMounts() {
		if m.Destination != "/sys/fs/cgroup" || m.Type == cgroupType {
			kept = append(kept, m)
		}
	}
	spec.Mounts = kept
	return spec
}

// ConfidentialID is a container id of the shape a confidential VM wants
// (64 hexadecimal digits), made from name.
func ConfidentialID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// WantDenied fails t unless err is a policy's denial as the host receives
// it: E_FAIL carrying a decision ("deny") that the host can decode, which
// it returns.
func WantDenied(t testing.TB, what string, err error) map[string]any {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: allowed, want a denial", what)
	}
	if hr := client.HResult(err); hr != prot.HrFail {
		t.Fatalf("%s: HRESULT %s, want E_FAIL: %v", what, hr, err)
	}
	d, perr := policy.ParseDecision(err.Error())
	if perr != nil {
		t.Fatalf("%s: %v: %v", what, perr, err)
	}
	if d["decision"] != "deny" {
		t.Fatalf("%s: decision %v", what, d)
	}
	return d
}
