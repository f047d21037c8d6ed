package test

// A hostile host must not get, through a field the policy never sees,
// what the policy refused through the fields it does see. These tests run
// the real daemon with the real Rego engine and the OCI runtimes
// installed, under small custom policies, and look from inside the
// container at what it really got.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/policy/framework"
	"github.com/linux-gcs/gcs/internal/prot"
)

// customPolicy is a policy of API 0.12.0 made of rules, with every
// enforcement point in allowed answering {"allowed": true}.
func customPolicy(rules string, allowed ...string) string {
	var b strings.Builder
	b.WriteString("package policy\n\nimport rego.v1\n\napi_version := \"0.12.0\"\n\n")
	for _, r := range allowed {
		fmt.Fprintf(&b, "%s := {\"allowed\": true}\n", r)
	}
	b.WriteString(rules)
	return b.String()
}

// lifecyclePoints are the enforcement points a test container's life
// goes through besides its creation: its root file system mounted and
// unmounted, its shutdown and signals, properties and the GCS's logging.
var lifecyclePoints = []string{"mount_overlay", "unmount_overlay", "scratch_mount", "scratch_unmount",
	"shutdown_container", "signal_container_process", "get_properties", "runtime_logging"}

// unprivilegedOnlyPolicy allows any container that is not privileged and
// names no device: its author grants no container any device node beyond
// the runtime's defaults.
var unprivilegedOnlyPolicy = customPolicy(`
default host_network := {"allowed": false}

default create_container := {"allowed": false}

create_container := {"allowed": true, "env_list": null, "caps_list": null, "allow_stdio_access": true} if {
	not input.privileged
	count(input.devices) == 0
}
`, lifecyclePoints...)

// openDeviceScript makes a node for /dev/loop-control (c 10:237, not one
// of the runtime's default devices) and says whether it could be opened.
const openDeviceScript = `mknod /dev/lc c 10 237 || exit 1
true </dev/lc 2>/dev/null && echo opened || echo refused`

// TestDeviceCgroupRulesNotJudgedAreNotGranted: a container the policy
// allowed as unprivileged, without devices, whose spec carries device
// cgroup rules of the host's own (allow everything, or allow one device)
// must not be able to open a device node it makes: the policy's
// privileged flag and device list are what grants devices.
func TestDeviceCgroupRulesNotJudgedAreNotGranted(t *testing.T) {
	major, minor := int64(10), int64(237)
	cases := []struct {
		name  string
		rules []oci.LinuxDeviceCgroup
	}{
		{"none", nil},
		{"allow-all", []oci.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}},
		{"allow-one", []oci.LinuxDeviceCgroup{{Allow: true, Type: "c", Major: &major, Minor: &minor, Access: "rwm"}}},
	}
	forEachRuntime(t, func(t *testing.T, runtime string) {
		h := newHostEnv(t, runtime)
		if err := h.setConfPolicy(unprivilegedOnlyPolicy, ""); err != nil {
			t.Fatalf("set policy: %v", err)
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				id := h.confidentialID("dev-" + tc.name)
				spec := confSpec("sh", "-c", openDeviceScript)
				spec.Linux.Resources = &oci.LinuxResources{Devices: append([]oci.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, tc.rules...)}
				out, err := h.runAt(t, id, h.bundle(id), filepath.Join(h.bundle(id), "scratch", id), spec)
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				if got := strings.TrimSpace(out); got != "refused" {
					t.Errorf("unprivileged container with device rules the policy never saw: /dev/loop-control %s, want refused", got)
				}
			})
		}
	})
}

// TestDeviceCgroupRulesKeptUnderOpenDoor: the open-door policy allows
// everything, the host is trusted with what it sends, so its device
// cgroup rules stand as without a policy.
func TestDeviceCgroupRulesKeptUnderOpenDoor(t *testing.T) {
	h := newHostEnv(t, "runc")
	if err := h.setConfPolicy(framework.OpenDoorPolicy(), ""); err != nil {
		t.Fatalf("set policy: %v", err)
	}
	major, minor := int64(10), int64(237)
	id := h.confidentialID("dev-open-door")
	spec := confSpec("sh", "-c", openDeviceScript)
	spec.Linux.Resources = &oci.LinuxResources{Devices: []oci.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: &major, Minor: &minor, Access: "rwm"},
	}}
	out, err := h.runAt(t, id, h.bundle(id), filepath.Join(h.bundle(id), "scratch", id), spec)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if got := strings.TrimSpace(out); got != "opened" {
		t.Errorf("open-door policy, host's rule allowing /dev/loop-control: %s, want opened", got)
	}
}

// TestVMNetworkWithoutAnnotationJudgedByHostNetwork: a container whose
// spec gives it no network namespace of its own (none at all, or one
// named by path, here the test's, which the GCS shares) is on the utility VM's network whatever
// its annotations say, so host_network must decide it: under a policy
// that refuses the VM's network it is refused; with a namespace of its
// own it runs, in another network namespace than the GCS's.
func TestVMNetworkWithoutAnnotationJudgedByHostNetwork(t *testing.T) {
	vmNet, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		netns   *oci.LinuxNamespace
		refused bool
	}{
		{"own namespace", &oci.LinuxNamespace{Type: oci.NetworkNamespace}, false},
		{"no namespace", nil, true},
		{"the VM's by path", &oci.LinuxNamespace{Type: oci.NetworkNamespace, Path: fmt.Sprintf("/proc/%d/ns/net", os.Getpid())}, true},
	}
	h := newHostEnv(t, "runc")
	if err := h.setConfPolicy(unprivilegedOnlyPolicy, ""); err != nil {
		t.Fatalf("set policy: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := h.confidentialID("net")
			spec := confSpec("readlink", "/proc/self/ns/net")
			var kept []oci.LinuxNamespace
			for _, ns := range spec.Linux.Namespaces {
				if ns.Type != oci.NetworkNamespace {
					kept = append(kept, ns)
				}
			}
			if tc.netns != nil {
				kept = append(kept, *tc.netns)
			}
			spec.Linux.Namespaces = kept
			out, err := h.runAt(t, id, h.bundle(id), filepath.Join(h.bundle(id), "scratch", id), spec)
			switch {
			case tc.refused && err == nil:
				t.Fatalf("created on the VM's network (%s, the GCS's is %s) though the policy refuses host_network", strings.TrimSpace(out), vmNet)
			case tc.refused:
				if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "host network denied by policy") {
					t.Fatalf("create = %v, want a host_network denial", err)
				}
			case err != nil:
				t.Fatalf("create: %v", err)
			case strings.TrimSpace(out) == vmNet:
				t.Fatalf("container with a network namespace of its own saw the GCS's %s", vmNet)
			}
		})
	}
}
