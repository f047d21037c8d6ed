package hcsv2

// What a security policy is shown at Create must be what the runtime
// gets: these tests create pods under small policies and read the
// config.json handed to the runtime.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Ids of the confidential shape (64 hex characters) for a pod of two.
const (
	policyTestSandboxID  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	policyTestWorkloadID = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// noShmPolicy allows any container creation whose input shows no mount
// at /dev/shm: its author forbids a /dev/shm of the host's choosing.
const noShmPolicy = `package policy

import rego.v1

api_version := "0.12.0"

shm_mount if {
	some m in input.mounts
	m.destination == "/dev/shm"
}

default create_container := {"allowed": false}

create_container := {"allowed": true, "allow_stdio_access": true, "env_list": null} if not shm_mount

runtime_logging := {"allowed": false}
get_properties := {"allowed": true}
`

// longLivedRuntimeScript is a stand-in OCI runtime whose container
// processes live long enough (30 s, ended by kill and delete) for a
// workload to join its sandbox, which the fake runtime's do not.
const longLivedRuntimeScript = `#!/bin/sh
root=
while [ $# -gt 0 ]; do case "$1" in --root|--log|--log-format) [ "$1" = --root ] && root=$2; shift 2;; --*) shift;; *) break;; esac; done
op=$1; shift
pidfile=; id=
while [ $# -gt 0 ]; do case "$1" in --pid-file) pidfile=$2; shift 2;; --bundle|--console-socket|--process|--resources) shift 2;; -*) shift;; *) [ -z "$id" ] && id=$1; shift;; esac; done
dir=$root/$id
case $op in
create) if [ -d "$dir" ]; then echo "container with given ID already exists" >&2; exit 1; fi
	mkdir -p "$dir"; sleep 30 & echo $! > "$dir/pid"; printf %s $! > "$pidfile"; exit 0;;
exec) sleep 30 & printf %s $! > "$pidfile"; exit 0;;
start|update) exit 0;;
kill) [ -f "$dir/pid" ] && kill -9 $(cat "$dir/pid") 2>/dev/null; exit 0;;
delete) [ -f "$dir/pid" ] && kill -9 $(cat "$dir/pid") 2>/dev/null; rm -rf "$dir"; exit 0;;
state) echo "{\"id\":\"$id\",\"status\":\"stopped\",\"pid\":0}"; exit 0;;
esac
echo "unknown command $op" >&2; exit 1
`

// newPodHost is the fuzz harness's Host with the long-lived runtime.
func newPodHost(t *testing.T) *fuzzHost {
	t.Helper()
	fh := newFuzzHost(t)
	script := filepath.Join(fh.root, "long-lived-runtime")
	if err := os.WriteFile(script, []byte(longLivedRuntimeScript), 0o755); err != nil {
		t.Fatal(err)
	}
	fh.host.opts.Runtime.Command = script
	return fh
}

// setTestPolicy puts the Rego policy rego in force on h.
func setTestPolicy(t *testing.T, h *Host, rego string) {
	t.Helper()
	if err := h.setSecurityPolicy(context.Background(), &prot.LCOWConfidentialOptions{
		EncodedSecurityPolicy: base64.StdEncoding.EncodeToString([]byte(rego)),
	}); err != nil {
		t.Fatal(err)
	}
	if !h.hasSecurityPolicy() {
		t.Fatal("no policy in force")
	}
}

// judgedSandbox returns a pod host under policy and the settings of its
// sandbox policyTestSandboxID, privileged or not.
func judgedSandbox(t *testing.T, policy string, privileged bool) (*Host, *prot.VMHostedContainerSettingsV2) {
	t.Helper()
	h := newPodHost(t).host
	setTestPolicy(t, h, policy)
	ann := map[string]string{annotationContainerType: "sandbox"}
	if privileged {
		ann[annotationPrivileged] = "true"
	}
	return h, podSettings(t, h, policyTestSandboxID, policyTestSandboxID, ann, nil)
}

// podSettings is a confidential-shaped Create of container id in pod
// sandboxID (id itself for a sandbox), with the given annotations and
// mounts.
func podSettings(t *testing.T, h *Host, id, sandboxID string, ann map[string]string, mounts []oci.Mount) *prot.VMHostedContainerSettingsV2 {
	t.Helper()
	bundle := filepath.Join(h.containerRoot(), id)
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	caps := []string{"CAP_CHOWN"}
	return &prot.VMHostedContainerSettingsV2{
		SchemaVersion:  prot.SchemaVersion{Major: 2, Minor: 1},
		OCIBundlePath:  bundle,
		ScratchDirPath: filepath.Join(h.containerRoot(), sandboxID, "scratch", id),
		OCISpecification: &oci.Spec{
			Version: "1.0.2",
			Process: &oci.Process{
				Args: []string{"/pause"}, Cwd: "/",
				Capabilities: &oci.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
			},
			Root:   &oci.Root{Path: rootfs},
			Mounts: mounts,
			// Network, pid and ipc namespaces of its own: without one a
			// container is on the VM's network, which host_network
			// decides, or in its pid or ipc namespace, which is refused.
			Linux: &oci.Linux{Namespaces: []oci.LinuxNamespace{
				{Type: oci.NetworkNamespace}, {Type: oci.PIDNamespace}, {Type: oci.IPCNamespace},
			}},
			Annotations: ann,
		},
	}
}

// createTestSandbox creates the pod's sandbox with the given extra
// annotations.
func createTestSandbox(t *testing.T, h *Host, ann map[string]string) {
	t.Helper()
	all := map[string]string{annotationContainerType: "sandbox"}
	for k, v := range ann {
		all[k] = v
	}
	sb := podSettings(t, h, policyTestSandboxID, policyTestSandboxID, all, nil)
	if err := h.CreateContainer(context.Background(), policyTestSandboxID, "", sb); err != nil {
		t.Fatalf("create sandbox: %v", err)
	}
}

// workloadAnnotations are a workload's of the test pod, with extra.
func workloadAnnotations(extra map[string]string) map[string]string {
	ann := map[string]string{annotationContainerType: "container", annotationSandboxID: policyTestSandboxID}
	for k, v := range extra {
		ann[k] = v
	}
	return ann
}

// bundleConfig reads the config.json Create handed to the runtime.
func bundleConfig(t *testing.T, h *Host, id string) *oci.Spec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.containerRoot(), id, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s oci.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// A /dev/shm mount is refused by a policy that forbids one whether the
// host writes it in the spec or asks for it with the shm size
// annotation: the annotation is applied before the policy decides (as
// the reference's ApplyAnnotationsToSpec), never after.
func TestShmAnnotationJudgedByPolicy(t *testing.T) {
	for _, tt := range []struct {
		name   string
		ann    map[string]string
		mounts []oci.Mount
	}{
		{name: "mount in the spec", mounts: []oci.Mount{{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"size=16777216k"}}}},
		{name: "size annotation", ann: map[string]string{annotationShmSizeKB: "16777216"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fh := newPodHost(t)
			h := fh.host
			setTestPolicy(t, h, noShmPolicy)
			createTestSandbox(t, h, nil)
			wl := podSettings(t, h, policyTestWorkloadID, policyTestSandboxID, workloadAnnotations(tt.ann), tt.mounts)
			err := h.CreateContainer(context.Background(), policyTestWorkloadID, "", wl)
			if err == nil {
				t.Fatalf("created; config.json mounts %+v", bundleConfig(t, h, policyTestWorkloadID).Mounts)
			}
			if !strings.Contains(err.Error(), "denied by policy") {
				t.Fatalf("create failed, not by the policy: %v", err)
			}
		})
	}
}

// noEtcPolicy allows container creation unless a mount takes its source
// from the utility VM's /etc.
const noEtcPolicy = `package policy

import rego.v1

api_version := "0.12.0"

uvm_etc_mount if {
	some m in input.mounts
	startswith(m.source, "/etc")
}

default create_container := {"allowed": false}

create_container := {"allowed": true, "allow_stdio_access": true, "env_list": null} if not uvm_etc_mount

runtime_logging := {"allowed": false}
`

// A workload's uvm:// source is judged as the path of the utility VM the
// runtime binds ("uvm:///etc" as "/etc"), as the reference (updateUVMMounts
// before EnforceCreateContainerPolicy): the policy and the runtime see the
// same mounts.
func TestUVMMountSourceJudgedResolved(t *testing.T) {
	for _, tt := range []struct {
		name, source string
		want         string // the source config.json binds; "" for a denial
	}{
		{name: "VM path", source: "/etc"},
		{name: "uvm:// source", source: "uvm:///etc"},
		{name: "uvm:// source allowed", source: "uvm:///usr", want: "/usr"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fh := newPodHost(t)
			h := fh.host
			setTestPolicy(t, h, noEtcPolicy)
			createTestSandbox(t, h, nil)
			wl := podSettings(t, h, policyTestWorkloadID, policyTestSandboxID, workloadAnnotations(nil),
				[]oci.Mount{{Destination: "/vm", Type: "bind", Source: tt.source, Options: []string{"rbind", "ro"}}})
			err := h.CreateContainer(context.Background(), policyTestWorkloadID, "", wl)
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), "denied by policy") {
					t.Fatalf("create = %v, want a denial by the policy", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range bundleConfig(t, h, policyTestWorkloadID).Mounts {
				if m.Destination == "/vm" && m.Source != tt.want {
					t.Errorf("config.json binds %q at /vm, want %q", m.Source, tt.want)
				}
			}
		})
	}
}

// noHostNetPolicy allows container creation but not the utility VM's
// network.
const noHostNetPolicy = `package policy

import rego.v1

api_version := "0.12.0"

create_container := {"allowed": true, "allow_stdio_access": true, "env_list": null}

host_network := {"allowed": false}

runtime_logging := {"allowed": false}
`

// A workload of a pod on the utility VM's network is judged by
// host_network, as the reference asks EnforceHostNetworkPolicy for a
// workload whose sandbox has the hostnetwork annotation: a host that made
// such a sandbox before setting a policy that forbids the VM's network
// cannot keep adding containers to it. The workload's own annotation
// does not count, as in the reference.
func TestWorkloadOnHostNetworkJudgedByPolicy(t *testing.T) {
	on := map[string]string{annotationHostNetwork: "true"}
	for _, tt := range []struct {
		name              string
		sandbox, workload map[string]string
		// noNetNS leaves the workload's spec without a network
		// namespace: it stays in the VM's, annotation or not.
		noNetNS bool
		denied  bool
	}{
		{name: "sandbox on the host network", sandbox: on, denied: true},
		{name: "workload annotation alone", workload: on},
		{name: "workload without a network namespace", noNetNS: true, denied: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fh := newPodHost(t)
			h := fh.host
			createTestSandbox(t, h, tt.sandbox)
			setTestPolicy(t, h, noHostNetPolicy)
			wl := podSettings(t, h, policyTestWorkloadID, policyTestSandboxID, workloadAnnotations(tt.workload), nil)
			if tt.noNetNS {
				l := wl.OCISpecification.Linux
				l.Namespaces = slices.DeleteFunc(l.Namespaces, func(ns oci.LinuxNamespace) bool { return ns.Type == oci.NetworkNamespace })
			}
			err := h.CreateContainer(context.Background(), policyTestWorkloadID, "", wl)
			if denied := err != nil && strings.Contains(err.Error(), "host network denied by policy"); denied != tt.denied {
				t.Fatalf("create = %v, want a denial by host_network %v", err, tt.denied)
			}
			if !tt.denied && err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A workload the policy refuses makes nothing in its pod's root: the
// directories its sandbox:// and sandbox-tmp:// mounts name are resolved
// for the policy to judge but made only once it allowed the container.
func TestRefusedWorkloadMakesNoMountSources(t *testing.T) {
	fh := newPodHost(t)
	h := fh.host
	setTestPolicy(t, h, noShmPolicy)
	createTestSandbox(t, h, nil)
	mounts := []oci.Mount{
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm"}, // what the policy refuses
		{Destination: "/shared", Type: "bind", Source: "sandbox://fresh/dir", Options: []string{"rbind"}},
		{Destination: "/fast", Type: "bind", Source: "sandbox-tmp://freshtmp", Options: []string{"rbind"}},
	}
	wl := podSettings(t, h, policyTestWorkloadID, policyTestSandboxID, workloadAnnotations(nil), mounts)
	err := h.CreateContainer(context.Background(), policyTestWorkloadID, "", wl)
	if err == nil || !strings.Contains(err.Error(), "denied by policy") {
		t.Fatalf("create = %v; want a refusal by the policy", err)
	}
	podRoot := filepath.Join(h.containerRoot(), policyTestSandboxID)
	for _, p := range []string{
		filepath.Join(podRoot, sandboxMountsDir, "fresh"),
		filepath.Join(podRoot, sandboxTmpfsDir, "freshtmp"),
	} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("the refused create made %s", p)
		}
	}
}
