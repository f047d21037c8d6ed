package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/testutil"
)

// podLayout is where one of hcsshim's host paths puts a pod container's
// bundle, rootfs and scratch in the utility VM.
type podLayout struct {
	name string
	// paths returns bundle and scratch of container id in pod sb.
	paths func(h *hostEnv, sb, id string) (bundle, scratch string)
	// setUp prepares what the host would have attached (the scratch disk).
	setUp func(t *testing.T, h *hostEnv, sb string)
}

// podLayouts are the two host layouts:
//   - hcsoci (the classic path): bundles in ROOT/c/<id>, every container's
//     scratch on the sandbox's disk at ROOT/c/<sandbox>/scratch/<id>;
//   - the v0.15.0 controller: bundles in ROOT/pods/<pod>/<id>, scratch on
//     a SCSI disk mounted at RUN/mounts/scsi/<ctrl>_<lun>_<part>, in
//     scratch/<pod>/<id>. The disk is a tmpfs here (the VM test uses a
//     real one).
func podLayouts() []podLayout {
	return []podLayout{
		{
			name: "hcsoci",
			paths: func(h *hostEnv, sb, id string) (string, string) {
				return filepath.Join(h.root, "c", id), filepath.Join(h.root, "c", sb, "scratch", id)
			},
			setUp: func(*testing.T, *hostEnv, string) {},
		},
		{
			name: "controller",
			paths: func(h *hostEnv, sb, id string) (string, string) {
				return filepath.Join(h.root, "pods", sb, id), filepath.Join(podDisk(h), "scratch", sb, id)
			},
			setUp: func(t *testing.T, h *hostEnv, sb string) {
				disk := podDisk(h)
				testutil.NoLeaks(t, filepath.Join(h.dir, "mounts"), "")
				if err := os.MkdirAll(disk, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := unix.Mount("tmpfs", disk, "tmpfs", 0, "size=64m"); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if err := unix.Unmount(disk, unix.MNT_DETACH); err != nil {
						t.Errorf("unmount the scratch disk: %v", err)
					}
				})
			},
		},
	}
}

// podDisk is where the controller layout's scratch disk is mounted: the
// state root's sibling "mounts" stands for /run/mounts.
func podDisk(h *hostEnv) string { return filepath.Join(h.dir, "mounts", "scsi", "0_1_0") }

// podSandboxSpec is a CRI sandbox's spec running args.
func podSandboxSpec(hostname string, args ...string) *oci.Spec {
	s := specFor(args...)
	s.Hostname = hostname
	s.Annotations = map[string]string{"io.kubernetes.cri.container-type": "sandbox"}
	return s
}

// podWorkloadSpec is a CRI workload container's spec in sandbox sb.
func podWorkloadSpec(sb string, args ...string) *oci.Spec {
	s := specFor(args...)
	s.Hostname = ""
	s.Annotations = map[string]string{
		"io.kubernetes.cri.container-type": "container",
		"io.kubernetes.cri.sandbox-id":     sb,
	}
	return s
}

// podCreate combines the busybox layer for container id of pod sb where
// layout puts it and creates the container (see hostEnv.createAt).
func podCreate(t *testing.T, h *hostEnv, l podLayout, sb, id string, spec *oci.Spec) error {
	t.Helper()
	bundle, scratch := l.paths(h, sb, id)
	return h.createAt(id, bundle, scratch, spec)
}

// podStart creates and starts container id of pod sb, returning its
// init pid.
func podStart(t *testing.T, h *hostEnv, l podLayout, sb, id string, spec *oci.Spec) uint32 {
	t.Helper()
	if err := podCreate(t, h, l, sb, id, spec); err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
	pid, err := h.startInit(id, h.listenStdio(false, false, false))
	if err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	return pid
}

// podOutput runs args in container id and returns its stdout and exit
// code.
func podOutput(t *testing.T, h *hostEnv, id string, args ...string) (string, uint32) {
	t.Helper()
	s := h.listenStdio(false, true, false)
	out := h.readAll(s.out)
	pid, err := h.exec(id, process(args...), s)
	if err != nil {
		t.Fatalf("exec %v in %s: %v", args, id, err)
	}
	code := h.wait(id, pid)
	return strings.TrimSpace(<-out), code
}

// podMustOutput is podOutput that fails the test on a non-zero exit.
func podMustOutput(t *testing.T, h *hostEnv, id string, args ...string) string {
	t.Helper()
	out, code := podOutput(t, h, id, args...)
	if code != 0 {
		t.Fatalf("%v in %s exited %d: %q", args, id, code, out)
	}
	return out
}

// podCgroupOf returns the cgroup path of pid in the memory hierarchy (v1)
// or the unified one (v2).
func podCgroupOf(t *testing.T, pid uint32) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	var unified string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				return parts[2]
			}
		}
		if parts[0] == "0" {
			unified = parts[2]
		}
	}
	return unified
}

// podCgroupExists reports whether cgroup path exists in the memory
// hierarchy (v1) or the unified one (v2).
func podCgroupExists(path string) bool {
	for _, mnt := range []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(mnt, "memory.stat")); err != nil {
			continue
		}
		_, err := os.Stat(filepath.Join(mnt, path))
		return err == nil
	}
	return false
}

// podNoMoreNotes fails the test if a notification for one of ids is
// queued.
func podNoMoreNotes(t *testing.T, h *hostEnv, ids ...string) {
	t.Helper()
	for {
		select {
		case n := <-h.notes:
			for _, id := range ids {
				if n.ContainerID == id {
					t.Errorf("extra notification %+v", n)
				}
			}
		default:
			return
		}
	}
}
