package test

// The policy is never shown a spec's linux.namespaces, so a hostile host
// could run a container the policy allowed in the utility VM's pid or ipc
// namespace (no entry) or in another container's (a path): there a root
// container reaches the other containers' processes, their files through
// /proc/<pid>/root, and their SysV shared memory. These tests run the real
// daemon with the real Rego engine and the OCI runtimes installed, and look
// from inside the container at the namespaces it really got.

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

// namespaceTypes are the namespaces judged besides the policy: pid and ipc.
func namespaceTypes() []oci.LinuxNamespaceType {
	return []oci.LinuxNamespaceType{oci.PIDNamespace, oci.IPCNamespace}
}

// nsScript prints the pid and ipc namespaces the container is in.
const nsScript = "readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc"

// withNamespace replaces spec's entries of type t by ns (none for nil).
func withNamespace(spec *oci.Spec, t oci.LinuxNamespaceType, ns *oci.LinuxNamespace) *oci.Spec {
	var kept []oci.LinuxNamespace
	for _, e := range spec.Linux.Namespaces {
		if e.Type != t {
			kept = append(kept, e)
		}
	}
	if ns != nil {
		kept = append(kept, *ns)
	}
	spec.Linux.Namespaces = kept
	return spec
}

// nsLink is the namespace of type t of process pid, as readlink shows it.
func nsLink(t *testing.T, pid any, typ oci.LinuxNamespaceType) string {
	t.Helper()
	s, err := os.Readlink(fmt.Sprintf("/proc/%v/ns/%s", pid, typ))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantNamespaceDenied checks that err refuses the container's namespace
// of type typ: E_FAIL, naming the type, denied by policy.
func wantNamespaceDenied(t *testing.T, err error, typ oci.LinuxNamespaceType, want string) {
	t.Helper()
	if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), string(typ)+" namespace") ||
		!strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "denied by policy") {
		t.Fatalf("create = %v, want E_FAIL %q denied by policy", err, want)
	}
}

// TestVMNamespacesRefusedUnderPolicy: under a judging policy a container
// that is not privileged must get pid and ipc namespaces of its own: with
// no entry (the namespace the GCS runs in, the utility VM's), with a path
// naming the VM's namespace (the test's, which the GCS shares) or another
// running container's, it is refused; with a new namespace it runs, in
// another namespace than the GCS's.
func TestVMNamespacesRefusedUnderPolicy(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, runtime string) {
		h := newHostEnv(t, runtime)
		if err := h.setConfPolicy(unprivilegedOnlyPolicy, ""); err != nil {
			t.Fatalf("set policy: %v", err)
		}
		other := h.confidentialID("other")
		if err := h.createConfidential(t, other, h.bundle(other), filepath.Join(h.bundle(other), "scratch", other), confSpec("sleep", "3600")); err != nil {
			t.Fatalf("create the other container: %v", err)
		}
		if _, err := h.startInit(other, h.listenStdio(false, false, false)); err != nil {
			t.Fatal(err)
		}
		otherPid := h.initPid(other)
		for _, typ := range namespaceTypes() {
			vm := nsLink(t, "self", typ)
			otherNS := nsLink(t, otherPid, typ)
			cases := []struct {
				name string
				ns   *oci.LinuxNamespace
				deny string // "" when allowed
			}{
				{"own", &oci.LinuxNamespace{Type: typ}, ""},
				{"none", nil, "of the utility VM"},
				{"the VM's by path", &oci.LinuxNamespace{Type: typ, Path: fmt.Sprintf("/proc/%d/ns/%s", os.Getpid(), typ)}, "of the utility VM"},
				{"another container's", &oci.LinuxNamespace{Type: typ, Path: fmt.Sprintf("/proc/%d/ns/%s", otherPid, typ)}, "another container's"},
			}
			for _, tc := range cases {
				t.Run(string(typ)+"/"+tc.name, func(t *testing.T) {
					id := h.confidentialID("ns")
					spec := withNamespace(confSpec("readlink", "/proc/self/ns/"+string(typ)), typ, tc.ns)
					out, err := h.runAt(t, id, h.bundle(id), filepath.Join(h.bundle(id), "scratch", id), spec)
					got := strings.TrimSpace(out)
					switch {
					case tc.deny != "" && err == nil:
						t.Fatalf("created in %s (the VM's is %s, the other container's %s)", got, vm, otherNS)
					case tc.deny != "":
						wantNamespaceDenied(t, err, typ, tc.deny)
					case err != nil:
						t.Fatalf("create: %v", err)
					case got == vm || got == otherNS:
						t.Fatalf("container with a %s namespace of its own saw %s (the VM's is %s, the other container's %s)", typ, got, vm, otherNS)
					}
				})
			}
		}
	})
}

// TestVMNamespacesKeptUnderOpenDoor: the open-door policy allows
// everything, the host is trusted with what it sends, so a spec without
// pid and ipc namespaces runs in the VM's, as without a policy.
func TestVMNamespacesKeptUnderOpenDoor(t *testing.T) {
	h := newHostEnv(t, "runc")
	if err := h.setConfPolicy(framework.OpenDoorPolicy(), ""); err != nil {
		t.Fatalf("set policy: %v", err)
	}
	id := h.confidentialID("ns-open-door")
	spec := confSpec("sh", "-c", nsScript)
	for _, typ := range namespaceTypes() {
		withNamespace(spec, typ, nil)
	}
	out, err := h.runAt(t, id, h.bundle(id), filepath.Join(h.bundle(id), "scratch", id), spec)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if want := nsLink(t, "self", oci.PIDNamespace) + "\n" + nsLink(t, "self", oci.IPCNamespace); strings.TrimSpace(out) != want {
		t.Errorf("open-door policy, no pid or ipc namespace: the container saw %q, want the VM's %q", out, want)
	}
}

// TestWorkloadJoinsSandboxNamespaces: a workload container may share its
// pod's pid and ipc namespaces, named by path as CRI names them
// (/proc/<sandbox init>/ns/<type>), and sees its sandbox's; a workload
// naming the VM's namespace, or with no entry, is refused like any other
// container.
func TestWorkloadJoinsSandboxNamespaces(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, runtime string) {
		h := newHostEnv(t, runtime)
		if err := h.setConfPolicy(unprivilegedOnlyPolicy, ""); err != nil {
			t.Fatalf("set policy: %v", err)
		}
		l := podLayouts()[0]
		sb := h.confidentialID("sandbox")
		bundle, scratch := l.paths(h, sb, sb)
		if err := h.createConfidential(t, sb, bundle, scratch, podSpec(confSpec("sleep", "3600"), podSandboxSpec(""))); err != nil {
			t.Fatalf("create the sandbox: %v", err)
		}
		if _, err := h.startInit(sb, h.listenStdio(false, false, false)); err != nil {
			t.Fatal(err)
		}
		sbPid := h.initPid(sb)
		workload := func(t *testing.T, ns func(typ oci.LinuxNamespaceType) *oci.LinuxNamespace) (string, error) {
			id := h.confidentialID("workload")
			spec := podSpec(confSpec("sh", "-c", nsScript), podWorkloadSpec(sb))
			for _, typ := range namespaceTypes() {
				withNamespace(spec, typ, ns(typ))
			}
			bundle, scratch := l.paths(h, sb, id)
			out, err := h.runAt(t, id, bundle, scratch, spec)
			return strings.TrimSpace(out), err
		}
		t.Run("sandbox's", func(t *testing.T) {
			out, err := workload(t, func(typ oci.LinuxNamespaceType) *oci.LinuxNamespace {
				return &oci.LinuxNamespace{Type: typ, Path: fmt.Sprintf("/proc/%d/ns/%s", sbPid, typ)}
			})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if want := nsLink(t, sbPid, oci.PIDNamespace) + "\n" + nsLink(t, sbPid, oci.IPCNamespace); out != want {
				t.Errorf("workload sharing its sandbox's namespaces saw %q, want %q", out, want)
			}
		})
		t.Run("own", func(t *testing.T) {
			if _, err := workload(t, func(typ oci.LinuxNamespaceType) *oci.LinuxNamespace { return &oci.LinuxNamespace{Type: typ} }); err != nil {
				t.Fatalf("create: %v", err)
			}
		})
		for _, typ := range namespaceTypes() {
			t.Run(string(typ)+"/the VM's by path", func(t *testing.T) {
				out, err := workload(t, func(ty oci.LinuxNamespaceType) *oci.LinuxNamespace {
					if ty == typ {
						return &oci.LinuxNamespace{Type: ty, Path: fmt.Sprintf("/proc/%d/ns/%s", os.Getpid(), ty)}
					}
					return &oci.LinuxNamespace{Type: ty, Path: fmt.Sprintf("/proc/%d/ns/%s", sbPid, ty)}
				})
				if err == nil {
					t.Fatalf("workload created in the VM's %s namespace (saw %q)", typ, out)
				}
				wantNamespaceDenied(t, err, typ, "of the utility VM")
			})
			t.Run(string(typ)+"/none", func(t *testing.T) {
				out, err := workload(t, func(ty oci.LinuxNamespaceType) *oci.LinuxNamespace {
					if ty == typ {
						return nil
					}
					return &oci.LinuxNamespace{Type: ty}
				})
				if err == nil {
					t.Fatalf("workload without a %s namespace entry created (saw %q)", typ, out)
				}
				wantNamespaceDenied(t, err, typ, "of the utility VM")
			})
		}
	})
}
