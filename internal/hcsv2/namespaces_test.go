package hcsv2

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/policy/framework"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// startInNamespaces starts sleep through r in new namespaces of the kinds
// in flags (none: the test's, standing for the VM's), as a sandbox's init
// would be; with exited it returns once the process was reaped.
func startInNamespaces(t *testing.T, r *reaper.Reaper, flags uintptr, exited bool) *reaper.Process {
	t.Helper()
	args := []string{"/bin/sleep", "60"}
	if exited {
		args = []string{"/bin/true"}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags}
	rp, err := r.StartProcess(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if exited {
		if _, err := r.Wait(cmd, rp.Exit()); err != nil {
			t.Fatal(err)
		}
		return rp
	}
	t.Cleanup(func() {
		_ = rp.Signal(unix.SIGKILL)
		_, _ = r.Wait(cmd, rp.Exit())
	})
	return rp
}

// testPod is a pod whose sandbox's init is rp (nil: a sandbox not created).
func testPod(rp *reaper.Process) *pod {
	sb := &Container{id: "sb"}
	if rp != nil {
		sb.created, sb.init = true, newProcess(rp, false)
	}
	return &pod{id: "sb", sandbox: sb}
}

// TestJudgeNamespacePath: with real processes in pid and ipc namespaces
// of their own standing for a pod's sandbox init and another container's,
// a path is allowed only when it names the sandbox init's namespace (by
// its /proc path or through a link to it), and is then replaced by the
// init's /proc path; the VM's namespace, another container's, a file that
// is not a namespace, any path outside a pod, and a sandbox that is gone
// or in the VM's own namespace are refused.
func TestJudgeNamespacePath(t *testing.T) {
	r, err := reaper.New(testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	own := uintptr(unix.CLONE_NEWPID | unix.CLONE_NEWIPC)
	sbInit := startInNamespaces(t, r, own, false)
	other := startInNamespaces(t, r, own, false)
	privileged := startInNamespaces(t, r, 0, false)
	gone := startInNamespaces(t, r, own, true)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, typ := range judgedNamespaceTypes() {
		nsPath := func(pid any) string { return fmt.Sprintf("/proc/%v/ns/%s", pid, typ) }
		link := filepath.Join(dir, "link-"+string(typ))
		if err := os.Symlink(nsPath(sbInit.Pid()), link); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			path string
			pod  *pod
			deny string // "" when allowed
		}{
			{"sandbox's", nsPath(sbInit.Pid()), testPod(sbInit), ""},
			{"sandbox's through a link", link, testPod(sbInit), ""},
			{"another container's", nsPath(other.Pid()), testPod(sbInit), "another container's " + string(typ) + " namespace denied by policy"},
			{"the VM's", nsPath("self"), testPod(sbInit), string(typ) + " namespace of the utility VM denied by policy"},
			{"not a namespace", file, testPod(sbInit), "is not a namespace"},
			{"a fifo", fifo, testPod(sbInit), "is not a namespace"},
			{"missing", filepath.Join(dir, "missing"), testPod(sbInit), "no such file"},
			{"outside a pod", nsPath(sbInit.Pid()), nil, "another container's " + string(typ) + " namespace denied by policy"},
			{"sandbox in the VM's namespace", nsPath(privileged.Pid()), testPod(privileged), string(typ) + " namespace of the utility VM denied by policy"},
			{"sandbox not created", nsPath(sbInit.Pid()), testPod(nil), "is not created"},
			{"sandbox gone", nsPath(sbInit.Pid()), testPod(gone), "is not running"},
		} {
			t.Run(string(typ)+"/"+tt.name, func(t *testing.T) {
				got, err := judgeNamespacePath(typ, tt.path, tt.pod)
				switch {
				case tt.deny == "" && err != nil:
					t.Fatalf("refused: %v", err)
				case tt.deny == "" && got != nsPath(sbInit.Pid()):
					t.Fatalf("path %q, want the sandbox init's %q", got, nsPath(sbInit.Pid()))
				case tt.deny == "":
				case err == nil:
					t.Fatalf("allowed as %q, want %q", got, tt.deny)
				case !strings.Contains(err.Error(), tt.deny) || prot.HResultOf(err) != prot.HrFail:
					t.Fatalf("refused with %v, want E_FAIL %q", err, tt.deny)
				}
			})
		}
	}
}

// TestNamespaceEntriesUnderPolicy: under a judging policy a sandbox that
// is not privileged needs pid and ipc entries of its own, one of each
// and without a path (a sandbox shares no other's namespace); a
// privileged one, and any under the open door, keeps the VM's.
func TestNamespaceEntriesUnderPolicy(t *testing.T) {
	vmIPC := &oci.LinuxNamespace{Type: oci.IPCNamespace, Path: "/proc/self/ns/ipc"}
	for _, tt := range []struct {
		name, policy string
		privileged   bool
		drop         oci.LinuxNamespaceType // the entry removed, if any
		add          *oci.LinuxNamespace
		deny         string // "" when allowed
	}{
		{name: "judging, own", policy: allowAllPolicy},
		{name: "judging, no pid entry", policy: allowAllPolicy, drop: oci.PIDNamespace, deny: "pid namespace of the utility VM denied by policy"},
		{name: "judging, no ipc entry", policy: allowAllPolicy, drop: oci.IPCNamespace, deny: "ipc namespace of the utility VM denied by policy"},
		{name: "judging, two pid entries", policy: allowAllPolicy, add: &oci.LinuxNamespace{Type: oci.PIDNamespace}, deny: "more than one pid namespace entry denied by policy"},
		{name: "judging, the VM's ipc by path", policy: allowAllPolicy, drop: oci.IPCNamespace, add: vmIPC, deny: "ipc namespace of the utility VM denied by policy"},
		{name: "judging, privileged, no pid entry", policy: allowAllPolicy, privileged: true, drop: oci.PIDNamespace},
		{name: "open door, no pid entry", policy: framework.OpenDoorPolicy(), drop: oci.PIDNamespace},
		{name: "open door, the VM's ipc by path", policy: framework.OpenDoorPolicy(), drop: oci.IPCNamespace, add: vmIPC},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, sb := judgedSandbox(t, tt.policy, tt.privileged)
			l := sb.OCISpecification.Linux
			l.Namespaces = slices.DeleteFunc(l.Namespaces, func(ns oci.LinuxNamespace) bool { return ns.Type == tt.drop })
			if tt.add != nil {
				l.Namespaces = append(l.Namespaces, *tt.add)
			}
			err := h.CreateContainer(context.Background(), policyTestSandboxID, "", sb)
			switch {
			case tt.deny == "" && err != nil:
				t.Fatalf("create: %v", err)
			case tt.deny == "":
			case err == nil:
				t.Fatalf("created, want %q", tt.deny)
			case !strings.Contains(err.Error(), tt.deny) || prot.HResultOf(err) != prot.HrFail:
				t.Fatalf("create = %v, want E_FAIL %q", err, tt.deny)
			}
		})
	}
}
