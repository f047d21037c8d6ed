package simulate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
)

const signedLayer = "0909090909090909090909090909090909090909090909090909090909090909"

func signedPolicy(issuer string) string {
	return fmt.Sprintf(`package policy

api_version := "0.12.0"
framework_version := "0.5.0"

fragments := [{"issuer": %q, "feed": "contoso/app", "minimum_svn": "2", "includes": ["containers"]}]

containers := []

mount_device := data.framework.mount_device
load_fragment := data.framework.load_fragment
reason := data.framework.reason
`, issuer)
}

const signedFragmentRego = `package app

svn := "2"
framework_version := "0.5.0"

containers := [{"command": ["/app"], "env_rules": [], "layers": ["` + signedLayer + `"], "mounts": [], "exec_processes": [], "signals": [], "allow_elevated": false, "working_dir": "/", "allow_stdio_access": true, "no_new_privileges": false, "user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [{"pattern": "", "strategy": "any"}], "umask": "0022"}, "capabilities": null, "seccomp_profile_sha256": ""}]
`

// TestSignedFragments runs load_fragment commands whose local_path is a
// COSE_Sign1 envelope signed here: a good one is verified and loaded (its
// layer then mounts), a forged one or one the command misdescribes is
// refused before the policy is asked.
func TestSignedFragments(t *testing.T) {
	s := fragmenttest.NewSigner(t, "Contoso Fragments")
	forger := *s
	forger.Key = fragmenttest.NewKey(t)
	claims := fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso/app", SVN: fragmenttest.SVN(2)}
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("good.cose", s.Sign(t, claims, []byte(signedFragmentRego)))
	write("forged.cose", forger.Sign(t, claims, []byte(signedFragmentRego)))
	mount := Command{Name: "mount_device", Input: map[string]any{"target": "/run/mounts/scsi/m0", "deviceHash": signedLayer, "mountPathRegex": "/run/mounts/scsi/m[0-9]+"}}
	load := func(input map[string]any) Command { return Command{Name: "load_fragment", Input: input} }
	tests := []struct {
		name  string
		cmds  []Command
		want  []bool
		error string
	}{
		{"good", []Command{mount, load(map[string]any{"local_path": "good.cose"}), mount}, []bool{false, true, true}, ""},
		{"good, described right", []Command{load(map[string]any{"local_path": "good.cose", "issuer": s.Issuer, "feed": "contoso/app"}), mount}, []bool{true, true}, ""},
		{"forged", []Command{load(map[string]any{"local_path": "forged.cose"}), mount}, []bool{false, false}, "verify signed fragment: COSE_Sign1 signature"},
		{"wrong feed named", []Command{load(map[string]any{"local_path": "good.cose", "feed": "contoso/other"}), mount}, []bool{false, false}, `the command names feed "contoso/other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Run(context.Background(), signedPolicy(s.Issuer), nil, tt.cmds, dir)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range out {
				if o.Allowed != tt.want[i] {
					t.Fatalf("command %d (%s): allowed %v, want %v (reasons %v, error %v)", i, o.Name, o.Allowed, tt.want[i], o.Reasons, o.Err)
				}
			}
			if tt.error != "" && (out[0].Err == nil || !strings.Contains(out[0].Err.Error(), tt.error)) {
				t.Fatalf("load_fragment error %v, want it to say %q", out[0].Err, tt.error)
			}
		})
	}
}
