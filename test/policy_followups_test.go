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

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/policy/framework"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// allowAllCreatesPolicy is a judging policy (not the open door) that
// allows every container, with its stdio.
var allowAllCreatesPolicy = customPolicy(`
create_container := {"allowed": true, "env_list": null, "caps_list": null, "allow_stdio_access": true}
`, lifecyclePoints...)

// procScript reports, from inside a container, whether /proc/sys can be
// opened for writing (opened for appending, nothing written: the shell's
// error says why not) and which of the default masked paths present on
// this kernel are masked (a file masked is /dev/null, a directory an
// empty tmpfs), beside /proc/loadavg, which no default masks.
const procScript = `(exec 3>>/proc/sys/kernel/domainname) 2>&1 | grep -q 'Read-only file system' && echo sys=read-only || echo sys=writable
for f in /proc/keys /proc/timer_list /proc/loadavg; do [ -c $f ] && echo $f=masked; done
[ -e /sys/firmware ] && [ -z "$(ls -A /sys/firmware)" ] && echo /sys/firmware=masked
true`

// TestDefaultMaskedAndReadonlyPathsUnderPolicy: under a judging policy a
// container that is not privileged gets the default masked and read-only
// paths (containerd's) whatever the host left out of its spec, and keeps
// those the host added; /proc/sys is then read-only, so a root container
// cannot reach the VM's kernel settings (core_pattern). Under the open
// door the host is trusted: the spec stands as sent.
func TestDefaultMaskedAndReadonlyPathsUnderPolicy(t *testing.T) {
	defaults := "sys=read-only\n/proc/keys=masked\n/proc/timer_list=masked\n/sys/firmware=masked\n"
	cases := []struct {
		name     string
		openDoor bool
		masked   []string
		want     string
	}{
		{name: "none sent", want: defaults},
		{name: "host's own kept", masked: []string{"/proc/loadavg"},
			want: "sys=read-only\n/proc/keys=masked\n/proc/timer_list=masked\n/proc/loadavg=masked\n/sys/firmware=masked\n"},
		{name: "open door", openDoor: true, want: "sys=writable\n"},
	}
	forEachRuntime(t, func(t *testing.T, runtime string) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				h := newHostEnv(t, runtime)
				pol := allowAllCreatesPolicy
				if tc.openDoor {
					pol = framework.OpenDoorPolicy()
				}
				if err := h.setConfPolicy(pol, ""); err != nil {
					t.Fatalf("set policy: %v", err)
				}
				id := h.confidentialID("masks")
				spec := confSpec("sh", "-c", procScript)
				spec.Linux.MaskedPaths, spec.Linux.ReadonlyPaths = tc.masked, nil
				out, err := h.runAt(t, id, h.bundle(id), filepath.Join(h.bundle(id), "scratch", id), spec)
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				if out != tc.want {
					t.Errorf("the container found\n%s\nwant\n%s", out, tc.want)
				}
			})
		}
	})
}

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

// TestBlockDevSourceConfinedToDeviceRoots: a blockdev:// mount's source
// must be a link in the directories devices are mounted in (the daemon's
// allowed roots: /run/mounts, …), where a SCSI Add with BlockDev makes it,
// not any link of the VM that happens to name a block device: a workload
// naming a link elsewhere (here in the test's directory, beside the state
// root, to the same disk node) is refused, whichever way the link was
// made.
func TestBlockDevSourceConfinedToDeviceRoots(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		f := testutil.NewFakeDevices(t)
		podBlockNode(t, f, 2, "sdr", layerImage(t, "hello.txt", "raw\n"))
		h := newHostEnv(t, rt, f.Args()...)
		outside := filepath.Join(h.dir, "outside", "0_2_0")
		if err := os.MkdirAll(filepath.Dir(outside), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(f.Dev, "sdr"), outside); err != nil {
			t.Fatal(err)
		}
		l := podLayouts()[0]
		sb := h.id("sb")
		podStart(t, h, l, sb, sb, podSandboxSpec("podhost", "sleep", "1000"))
		w := h.id("w")
		spec := podWorkloadSpec(sb, "sleep", "1000")
		spec.Mounts = append(spec.Mounts,
			oci.Mount{Destination: "blockdev:///dev/blk", Source: outside, Type: "bind", Options: []string{"rbind", "ro"}})
		err := podCreate(t, h, l, sb, w, spec)
		if err == nil {
			t.Fatal("a blockdev:// source outside the device roots was accepted")
		}
		t.Logf("refused: %v", err)
	})
}
