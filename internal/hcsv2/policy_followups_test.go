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
	"slices"
	"sync/atomic"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/policy/framework"
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

// allowAllPolicy is a judging policy (not the open door) that allows
// every container.
const allowAllPolicy = `package policy

import rego.v1

api_version := "0.12.0"

create_container := {"allowed": true, "allow_stdio_access": true, "env_list": null}

runtime_logging := {"allowed": false}
get_properties := {"allowed": true}
`

// TestDefaultPathsAddedUnderJudgingPolicy: the policy sees neither
// linux.maskedPaths nor linux.readonlyPaths, so under a judging policy a
// container that is not privileged gets at least containerd's defaults
// in config.json, beside what the host listed; a privileged container
// (the policy allowed it everything) and every container under the open
// door keep the host's lists as sent. (The real runtimes applying them:
// test/TestDefaultMaskedAndReadonlyPathsUnderPolicy.)
func TestDefaultPathsAddedUnderJudgingPolicy(t *testing.T) {
	for _, tt := range []struct {
		name, policy string
		privileged   bool
		hostMasked   []string
		wantDefaults bool
	}{
		{name: "judging, none sent", policy: allowAllPolicy, wantDefaults: true},
		{name: "judging, host's own kept", policy: allowAllPolicy, hostMasked: []string{"/proc/loadavg", "/proc/kcore"}, wantDefaults: true},
		{name: "judging, privileged", policy: allowAllPolicy, privileged: true},
		{name: "open door", policy: framework.OpenDoorPolicy(), hostMasked: []string{"/proc/loadavg"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, sb := judgedSandbox(t, tt.policy, tt.privileged)
			sb.OCISpecification.Linux.MaskedPaths = slices.Clone(tt.hostMasked)
			if err := h.CreateContainer(context.Background(), policyTestSandboxID, "", sb); err != nil {
				t.Fatalf("create: %v", err)
			}
			l := bundleConfig(t, h, policyTestSandboxID).Linux
			if !tt.wantDefaults {
				if !slices.Equal(l.MaskedPaths, tt.hostMasked) || len(l.ReadonlyPaths) != 0 {
					t.Errorf("config.json masks %q and makes read-only %q, want the host's %q and none", l.MaskedPaths, l.ReadonlyPaths, tt.hostMasked)
				}
				return
			}
			for _, p := range append(defaultMaskedPaths(), tt.hostMasked...) {
				if n := count(l.MaskedPaths, p); n != 1 {
					t.Errorf("config.json masks %s %d times: %q", p, n, l.MaskedPaths)
				}
			}
			for _, p := range defaultReadonlyPaths() {
				if !slices.Contains(l.ReadonlyPaths, p) {
					t.Errorf("config.json does not make %s read-only: %q", p, l.ReadonlyPaths)
				}
			}
		})
	}
}

// count is how many times s holds v.
func count(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// TestBlockDevSourceBelowAllowedRoots: a blockdev:// source is a link a
// SCSI Add with BlockDev made below the device roots (Devices.AllowedRoots),
// in a directory of a root or in the root itself; a link elsewhere that
// names the same node is refused. (Through the daemon:
// test/TestBlockDevSourceConfinedToDeviceRoots.)
func TestBlockDevSourceBelowAllowedRoots(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making device nodes needs root")
	}
	dev, root, outside := t.TempDir(), t.TempDir(), t.TempDir()
	node := filepath.Join(dev, "blk")
	if err := unix.Mknod(node, unix.S_IFBLK|0o600, int(unix.Mkdev(7, 200))); err != nil {
		t.Skipf("mknod %s: %v", node, err)
	}
	link := func(at string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(node, at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	for _, tt := range []struct {
		name, source string
		ok           bool
	}{
		{"in a directory of a root", link(filepath.Join(root, "scsi", "0_2_0")), true},
		{"in a root itself", link(filepath.Join(root, "0_3_0")), true},
		{"outside the roots", link(filepath.Join(outside, "0_2_0")), false},
		{"the root's parent", link(filepath.Join(filepath.Dir(root), "h7-"+filepath.Base(root))), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := podTestSpec(nil)
			s.Mounts = []oci.Mount{{Destination: "blockdev:///b", Source: tt.source}}
			_, err := rewriteMounts(s, t.TempDir(), dev, []string{root})
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && err == nil {
				t.Fatalf("accepted: the mount gets %s", s.Mounts[0].Source)
			}
			if tt.ok && s.Mounts[0].Source != node {
				t.Errorf("the mount gets %s, want %s", s.Mounts[0].Source, node)
			}
		})
	}
}
