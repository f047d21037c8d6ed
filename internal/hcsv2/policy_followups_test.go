package hcsv2

// Follow-ups of the policy reviews: what a policy judged at Create must
// be what the runtime gets, even when the host rewrites the container's
// files (its scratch and rootfs are not encrypted) while the policy
// decides.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// swapUserPolicy allows a container whose init user the policy is shown
// as uid 1000, and, while it decides, asks the URL %s (a test's server)
// with http.send: the hook the test uses to rewrite the container's
// /etc/passwd between the policy's reading and the runtime's start, as a
// host that can write the rootfs would.
const swapUserPolicy = `package policy

import rego.v1

api_version := "0.12.0"

default create_container := {"allowed": false}

create_container := {"allowed": true, "allow_stdio_access": true, "env_list": null} if {
	input.user.id == "1000"
	http.send({"method": "GET", "url": %q}).status_code == 200
}

runtime_logging := {"allowed": false}
get_properties := {"allowed": true}
`

// TestInitUserJudgedIsUserRun: the init's user name is resolved in the
// container's /etc/passwd once, and the ids the policy judged are the ids
// config.json gives the runtime. The policy's own evaluation (http.send
// to the test's server) rewrites /etc/passwd, mapping the user to root,
// after the policy read it: a second lookup after the decision would run
// the container as root.
func TestInitUserJudgedIsUserRun(t *testing.T) {
	fh := newPodHost(t)
	h := fh.host
	sb := podSettings(t, h, policyTestSandboxID, policyTestSandboxID, map[string]string{annotationContainerType: "sandbox"}, nil)
	etc := filepath.Join(sb.OCISpecification.Root.Path, "etc")
	writeEtc := func(passwd string) {
		t.Helper()
		if err := os.MkdirAll(etc, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string]string{"passwd": passwd, "group": "root:x:0:\napp:x:1000:\n"} {
			if err := os.WriteFile(filepath.Join(etc, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	writeEtc("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
	var swapped atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeEtc("root:x:0:0:root:/root:/bin/sh\napp:x:0:0::/home/app:/bin/sh\n")
		swapped.Add(1)
	}))
	t.Cleanup(srv.Close)
	setTestPolicy(t, h, fmt.Sprintf(swapUserPolicy, srv.URL))

	sb.OCISpecification.Process.User.Username = "app"
	if err := h.CreateContainer(context.Background(), policyTestSandboxID, "", sb); err != nil {
		t.Fatalf("create: %v", err)
	}
	if swapped.Load() == 0 {
		t.Fatal("the policy never called the hook: /etc/passwd was not rewritten while it decided")
	}
	u := bundleConfig(t, h, policyTestSandboxID).Process.User
	if u.UID != 1000 || u.GID != 1000 {
		t.Errorf("config.json runs the init as %d:%d, want 1000:1000, the ids the policy judged", u.UID, u.GID)
	}
}
