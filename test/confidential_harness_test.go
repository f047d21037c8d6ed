package test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/linux-gcs/gcs/internal/prot"
)

// The confidential tests' fragment feed, and the command its fragment
// offers.
const (
	confFeed       = "contoso.azurecr.io/infra"
	confFragmentSh = "echo from-the-fragment"
)

// confID returns a container id unique within this host in the shape a
// confidential VM wants (64 hexadecimal characters).
func (h *hostEnv) confID(prefix string) string {
	sum := sha256.Sum256([]byte(h.id(prefix)))
	return hex.EncodeToString(sum[:])
}

// setPolicy sends a SecurityPolicy request with the Rego policy and
// the UVM reference info given (base64, as the host sends them).
func (h *hostEnv) setPolicy(rego, uvmReference string) error {
	return h.modify(prot.RequestTypeAdd, prot.ResourceTypeSecurityPolicy, &prot.LCOWConfidentialOptions{
		EnforcerType:          "rego",
		EncodedSecurityPolicy: base64.StdEncoding.EncodeToString([]byte(rego)),
		EncodedUVMReference:   uvmReference,
	})
}

// sendFragment sends a SecurityPolicyFragment request with the envelope
// (raw) in base64.
func (h *hostEnv) sendFragment(raw []byte) error {
	return h.modify(prot.RequestTypeAdd, prot.ResourceTypePolicyFragment, &prot.LCOWSecurityPolicyFragment{
		Fragment: base64.StdEncoding.EncodeToString(raw),
	})
}

// fragmentsDir is where the daemon records fragments: beside its state
// root, as /run/fragments beside /run/gcs in a utility VM.
func (h *hostEnv) fragmentsDir() string { return filepath.Join(h.dir, "fragments") }

// fragmentVerdict returns the verdict files the daemon recorded for the
// envelope raw ("1.succeed", "2.deny: <error>", ...), sorted.
func (h *hostEnv) fragmentVerdicts(t *testing.T, raw []byte) []string {
	t.Helper()
	sum := sha256.Sum256(raw)
	dir := filepath.Join(h.fragmentsDir(), hex.EncodeToString(sum[:]))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("fragment record: %v", err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".succeed"):
			out = append(out, name)
		case strings.HasSuffix(name, ".deny"):
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, name+": "+string(b))
		}
	}
	return out
}

// confPolicy is the base policy of the confidential tests: fragments of
// issuer on confFeed from SVN 2 may add containers; the policy itself
// has none. Layers are the harness's directories, not devices the policy
// saw mounted, so its mount_overlay matches an overlay with every
// container the policy and its loaded fragments offer; create_container
// and the process rules are the framework's. The rest is allowed.
func confPolicy(issuer string) string {
	return fmt.Sprintf(`package policy

api_version := "0.10.0"
framework_version := "0.5.0"

fragments := [{"issuer": %q, "feed": %q, "minimum_svn": "2", "includes": ["containers"]}]

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
`, issuer, confFeed)
}

// confFragment is a fragment of the given SVN offering one container
// per script: sh -c script over the busybox layer, as specFor builds it.
func confFragment(svn string, scripts ...string) string {
	var containers []string
	for _, script := range scripts {
		containers = append(containers, fmt.Sprintf(confContainer, script))
	}
	return fmt.Sprintf("package infra\n\nsvn := %q\nframework_version := \"0.5.0\"\n\ncontainers := [%s]\n", svn, strings.Join(containers, ", "))
}

// confContainer is one container of confFragment (%q: its script).
const confContainer = `{
    "command": ["sh", "-c", %q],
    "env_rules": [{"pattern": ".*", "strategy": "re2", "required": false}],
    "layers": [],
    "capabilities": null,
    "mounts": [],
    "exec_processes": [],
    "signals": [],
    "user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [{"pattern": "", "strategy": "any"}], "umask": "0022"},
    "seccomp_profile_sha256": "",
    "allow_elevated": false,
    "working_dir": "/",
    "allow_stdio_access": true,
    "no_new_privileges": false,
}`

// signedFragment signs a fragment for confFeed with s at header SVN svn.
func signedFragment(t *testing.T, s *fragmenttest.Signer, svn int64, rego string) []byte {
	return s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: confFeed, SVN: fragmenttest.SVN(svn)}, []byte(rego))
}
