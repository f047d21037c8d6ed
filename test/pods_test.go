package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// TestPodBothLayouts runs a CRI pod the way each of hcsshim's host layouts
// sends it: a sandbox and two workloads sharing its network namespace, its
// /etc files and its sandbox:// and sandbox-tmp:// mounts, each in the
// pod's cgroup; exec and statistics in each; then teardown of the
// workloads and the sandbox with exactly one notification each and
// nothing left behind (mounts, cgroups, runtime state, processes: the
// harness checks).
func TestPodBothLayouts(t *testing.T) {
	for _, l := range podLayouts() {
		t.Run(l.name, func(t *testing.T) {
			forEachRuntime(t, func(t *testing.T, rt string) {
				podRunAndCheck(t, rt, l)
			})
		})
	}
}

func podRunAndCheck(t *testing.T, rt string, l podLayout) {
	h := newHostEnv(t, rt)
	sb := h.id("sb")
	l.setUp(t, h, sb)
	sbPid := podStart(t, h, l, sb, sb, podSandboxSpec("podhost", "sleep", "1000"))
	shared := []oci.Mount{
		{Destination: "/shared", Type: "bind", Source: "sandbox://data", Options: []string{"rbind", "rw"}},
		{Destination: "/fast", Type: "bind", Source: "sandbox-tmp://scratchy", Options: []string{"rbind", "rw"}},
	}
	var workloads []string
	pids := map[string]uint32{sb: sbPid}
	for range 2 {
		id := h.id("w")
		spec := podWorkloadSpec(sb, "sleep", "1000")
		spec.Mounts = append(spec.Mounts, shared...)
		pids[id] = podStart(t, h, l, sb, id, spec)
		workloads = append(workloads, id)
	}
	w1, w2 := workloads[0], workloads[1]

	// One network namespace for the pod.
	netns := podMustOutput(t, h, sb, "readlink", "/proc/self/ns/net")
	for _, w := range workloads {
		if got := podMustOutput(t, h, w, "readlink", "/proc/self/ns/net"); got != netns {
			t.Errorf("%s network namespace %s, sandbox's %s", w, got, netns)
		}
	}
	// A file written through sandbox:// by one is read by the other.
	podMustOutput(t, h, w1, "sh", "-c", "echo across > /shared/f")
	if got := podMustOutput(t, h, w2, "cat", "/shared/f"); got != "across" {
		t.Errorf("w2 reads %q through sandbox://", got)
	}
	// sandbox-tmp:// is on tmpfs, and shared as well.
	if got := podMustOutput(t, h, w2, "stat", "-f", "-c", "%T", "/fast"); got != "tmpfs" {
		t.Errorf("sandbox-tmp:// mount is on %q, want tmpfs", got)
	}
	podMustOutput(t, h, w2, "sh", "-c", "echo quick > /fast/g")
	if got := podMustOutput(t, h, w1, "cat", "/fast/g"); got != "quick" {
		t.Errorf("w1 reads %q through sandbox-tmp://", got)
	}
	// Hostname and hosts are the sandbox's.
	for _, id := range []string{sb, w1, w2} {
		if got := podMustOutput(t, h, id, "cat", "/etc/hostname"); got != "podhost" {
			t.Errorf("%s /etc/hostname %q", id, got)
		}
		if got := podMustOutput(t, h, id, "cat", "/etc/hosts"); !strings.Contains(got, "podhost") {
			t.Errorf("%s /etc/hosts %q", id, got)
		}
	}
	// Each container is in the pod's cgroup, /pods/<sandbox>/<id>.
	var podCgroup string
	for id, pid := range pids {
		cg := podCgroupOf(t, pid)
		if !strings.HasSuffix(cg, "/pods/"+sb+"/"+id) {
			t.Errorf("%s in cgroup %s, want .../pods/%s/%s", id, cg, sb, id)
		}
		podCgroup = strings.TrimSuffix(cg, "/"+id)
	}
	// Statistics and process lists of each.
	for id, pid := range pids {
		props, err := h.c.GetProperties(testCtx(t), id, prot.PtStatistics, prot.PtProcessList)
		if err != nil {
			t.Fatalf("properties of %s: %v", id, err)
		}
		if props.Metrics == nil || props.Metrics.Memory == nil || props.Metrics.Memory.Usage == nil || props.Metrics.Memory.Usage.Usage == 0 {
			t.Errorf("statistics of %s: %+v", id, props.Metrics)
		}
		if len(props.ProcessList) == 0 || props.ProcessList[0].ProcessID != pid {
			t.Errorf("process list of %s: %+v, init %d", id, props.ProcessList, pid)
		}
	}

	// Teardown: the workloads, then the sandbox.
	for _, id := range []string{w1, w2, sb} {
		if err := h.c.ShutdownForced(testCtx(t), id); err != nil {
			t.Fatalf("shutdown %s: %v", id, err)
		}
		h.wait(id, pids[id])
		if n := h.notification(id); n.Type != prot.NtForcedExit {
			t.Errorf("%s notification %+v", id, n)
		}
		if err := h.c.DeleteContainerState(testCtx(t), id); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
		if id != sb && !podCgroupExists(podCgroup) {
			t.Errorf("pod cgroup %s went with workload %s", podCgroup, id)
		}
	}
	if podCgroupExists(podCgroup) {
		t.Errorf("pod cgroup %s left behind", podCgroup)
	}
	if _, err := os.Lstat(filepath.Join(h.root, "pods", sb)); err == nil {
		t.Errorf("pod directory %s left behind", filepath.Join(h.root, "pods", sb))
	}
	podNoMoreNotes(t, h, sb, w1, w2)
}

// TestPodSandboxDeletedAfterItsWorkloads: the state of a stopped sandbox
// whose pod still has a workload is kept (invalid state), since the
// workload's scratch, /etc files and sandbox mounts live in it; the
// workload keeps running and, once it is deleted, so can the sandbox be.
func TestPodSandboxDeletedAfterItsWorkloads(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		l := podLayouts()[0]
		sb := h.id("sb")
		sbPid := podStart(t, h, l, sb, sb, podSandboxSpec("podhost", "sleep", "1000"))
		w := h.id("w")
		spec := podWorkloadSpec(sb, "sleep", "1000")
		spec.Mounts = append(spec.Mounts, oci.Mount{Destination: "/shared", Type: "bind", Source: "sandbox://data", Options: []string{"rbind", "rw"}})
		podStart(t, h, l, sb, w, spec)
		if err := h.c.ShutdownForced(testCtx(t), sb); err != nil {
			t.Fatal(err)
		}
		h.wait(sb, sbPid)
		h.notification(sb)
		err := h.c.DeleteContainerState(testCtx(t), sb)
		if client.HResult(err) != prot.HrVmcomputeInvalidState {
			t.Fatalf("delete the sandbox before its workload: %v, want invalid state", err)
		}
		podMustOutput(t, h, w, "sh", "-c", "echo still > /shared/f && cat /etc/hostname")
		if err := h.c.ShutdownForced(testCtx(t), w); err != nil {
			t.Fatal(err)
		}
		h.notification(w)
		for _, id := range []string{w, sb} {
			if err := h.c.DeleteContainerState(testCtx(t), id); err != nil {
				t.Fatalf("delete %s: %v", id, err)
			}
		}
	})
}

// TestPodVirtualPod: a virtual pod (io.microsoft.cri.virtual-pod-id) is its
// own pod whatever the CRI sandbox id says: its first container is the
// sandbox, the pod's root is <bundles>/virtual-pods/<id> (made by the GCS,
// removed with the sandbox), and its containers run in /pods/<id>/<cid>.
func TestPodVirtualPod(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		l := podLayouts()[0]
		vp := h.id("vp")
		spec := podSandboxSpec("virtualhost", "sleep", "1000")
		spec.Annotations["io.microsoft.cri.virtual-pod-id"] = vp
		spec.Annotations["io.kubernetes.cri.container-type"] = "container"
		vpPid := podStart(t, h, l, vp, vp, spec)
		w := h.id("w")
		wspec := podWorkloadSpec("the-real-sandbox", "sleep", "1000")
		wspec.Annotations["io.microsoft.cri.virtual-pod-id"] = vp
		wPid := podStart(t, h, l, vp, w, wspec)
		root := filepath.Join(h.root, "c", "virtual-pods", vp)
		if b, err := os.ReadFile(filepath.Join(root, "hostname")); err != nil || string(b) != "virtualhost\n" {
			t.Errorf("virtual pod root %s hostname: %q %v", root, b, err)
		}
		if got := podMustOutput(t, h, w, "cat", "/etc/hostname"); got != "virtualhost" {
			t.Errorf("workload /etc/hostname %q", got)
		}
		for id, pid := range map[string]uint32{vp: vpPid, w: wPid} {
			if cg := podCgroupOf(t, pid); !strings.HasSuffix(cg, "/pods/"+vp+"/"+id) {
				t.Errorf("%s in cgroup %s, want .../pods/%s/%s", id, cg, vp, id)
			}
		}
		for _, id := range []string{w, vp} {
			if err := h.c.ShutdownForced(testCtx(t), id); err != nil {
				t.Fatal(err)
			}
			h.notification(id)
			if err := h.c.DeleteContainerState(testCtx(t), id); err != nil {
				t.Fatalf("delete %s: %v", id, err)
			}
		}
		if _, err := os.Lstat(filepath.Dir(root)); err == nil {
			t.Errorf("virtual pod directory %s left behind", filepath.Dir(root))
		}
	})
}
