package test

import (
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// A container's init gets the checks an exec gets (TestExecReview*): an
// environment the runtime cannot pass as judged, the id (uid_t)-1 that
// crun runs as its own root, and a relative cwd that crun takes from "/"
// are refused with E_INVALIDARG at Create, and the reply and the log never
// quote an environment value.
func TestCreateReviewInitProcess(t *testing.T) {
	const secret = "hunter2-init-secret"
	cases := []struct {
		name  string
		shape func(p *oci.Process)
	}{
		{"env with a NUL", func(p *oci.Process) { p.Env = append(p.Env, "TOKEN="+secret+"\x00tail") }},
		{"env without '='", func(p *oci.Process) { p.Env = append(p.Env, secret) }},
		{"uid (uid_t)-1", func(p *oci.Process) { p.User.UID = 4294967295 }},
		{"gid (gid_t)-1", func(p *oci.Process) { p.User.GID = 4294967295 }},
		{"relative cwd", func(p *oci.Process) { p.Cwd = "tmp" }},
	}
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				spec := specFor("id")
				tc.shape(spec.Process)
				id := h.id("init" + string(rune('a'+i)))
				err := h.create(id, spec)
				if err == nil {
					pid, serr := h.startInit(id, h.listenStdio(false, false, false))
					t.Fatalf("created (start: pid %d, %v)", pid, serr)
				}
				if client.HResult(err) != prot.HrInvalidArg {
					t.Errorf("%v, want E_INVALIDARG", err)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("reply quotes the environment: %v", err)
				}
			})
		}
		if strings.Contains(h.g.log(), secret) {
			t.Errorf("daemon log quotes the environment")
		}
	})
}
