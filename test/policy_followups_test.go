package test

// Follow-ups of the policy reviews, through the real daemon, the real
// Rego engine and the OCI runtimes installed: what a container gets from
// fields the policy never sees, or from files the host can rewrite while
// the policy decides, must not undo what the policy judged.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// swapUserPolicy allows a container whose init user the policy is shown
// as uid 1000 and, while it decides, asks the URL %s (the test's server)
// with http.send: the hook the test uses to rewrite the container's
// /etc/passwd after the policy read it, as a host that can write the
// (unencrypted) rootfs would.
const swapUserPolicy = `
default create_container := {"allowed": false}

create_container := {"allowed": true, "env_list": null, "caps_list": null, "allow_stdio_access": true} if {
	input.user.id == "1000"
	http.send({"method": "GET", "url": %q}).status_code == 200
}
`

// TestInitUserRunsAsJudged: a container's init given by user name runs
// with the ids the policy judged, even when /etc/passwd in its rootfs is
// rewritten (the user mapped to root) while the policy decides: the name
// is looked up once.
func TestInitUserRunsAsJudged(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, runtime string) {
		h := newHostEnv(t, runtime)
		const group = "root:x:0:\napp:x:1000:\n"
		etc := filepath.Join(h.layer, "etc")
		for name, data := range map[string]string{"passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n", "group": group} {
			if err := os.WriteFile(filepath.Join(etc, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		id := h.confidentialID("user")
		var swapped atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			// The rootfs as the container sees it: the write lands in its scratch.
			p := filepath.Join(h.bundle(id), "rootfs", "etc", "passwd")
			if err := os.WriteFile(p, []byte("root:x:0:0:root:/root:/bin/sh\napp:x:0:0::/:/bin/sh\n"), 0o644); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			swapped.Add(1)
		}))
		t.Cleanup(srv.Close)
		if err := h.setConfPolicy(customPolicy(fmt.Sprintf(swapUserPolicy, srv.URL), lifecyclePoints...), ""); err != nil {
			t.Fatalf("set policy: %v", err)
		}
		spec := confSpec("sh", "-c", "echo $(id -u):$(id -g)")
		spec.Process.User.Username = "app"
		out, err := h.runAt(t, id, h.bundle(id), filepath.Join(h.bundle(id), "scratch", id), spec)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if swapped.Load() == 0 {
			t.Fatal("the policy never called the hook: /etc/passwd was not rewritten while it decided")
		}
		if got := strings.TrimSpace(out); got != "1000:1000" {
			t.Errorf("the init runs as %s, want 1000:1000, the ids the policy judged", got)
		}
	})
}
