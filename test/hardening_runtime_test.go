package test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// rtBound is the -runtime-timeout these tests give the daemon: short, so a
// wedged runtime is given up on quickly.
const rtBound = 3 * time.Second

// rtReplyWait bounds the wait for any reply: the bound, the kill and
// generous slack.
const rtReplyWait = 30 * time.Second

// rtStarted creates and starts a container running sleep.
func rtStarted(t *testing.T, h *hostEnv, prefix string) string {
	t.Helper()
	id := h.id(prefix)
	if err := h.create(id, specFor("sleep", "1000")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
		t.Fatal(err)
	}
	return id
}

// rtExec runs p in container id and returns the reply's error, failing the
// test if no reply comes within rtReplyWait.
func rtExec(t *testing.T, h *hostEnv, id string, p *oci.Process) (uint32, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rtReplyWait)
	defer cancel()
	s := h.listenStdio(false, false, false)
	params := h.params(s)
	params.OCIProcess = p
	pid, err := h.c.ExecuteProcess(ctx, id, params, s.settings)
	if ctx.Err() != nil {
		t.Fatalf("exec %v in %s: no reply within %s", p.Args, id, rtReplyWait)
	}
	return pid, err
}

// rtOnlyInit waits (bounded) until the process list of container id is its
// init alone.
func rtOnlyInit(t *testing.T, h *hostEnv, id string) {
	t.Helper()
	init := h.initPid(id)
	deadline := time.Now().Add(rtReplyWait)
	for {
		props, err := h.c.GetProperties(testCtx(t), id, prot.PtProcessList)
		if err != nil {
			t.Fatalf("process list of %s: %v", id, err)
		}
		if len(props.ProcessList) == 1 && props.ProcessList[0].ProcessID == init {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s still runs %+v, want its init %d alone", id, props.ProcessList, init)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHardeningRuntimeWedgedExec has a real container replace its
// /etc/passwd with a FIFO, which wedges the runtime's own exec (it reads
// the file inside the container): each exec, with or without a user, gets
// an error reply within the daemon's -runtime-timeout, nothing the runtime
// started stays in the container, no goroutine is left waiting, other
// containers are served and the container is deleted cleanly.
func TestHardeningRuntimeWedgedExec(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt, "-runtime-timeout", rtBound.String())
		healthy := rtStarted(t, h, "healthy")
		id := rtStarted(t, h, "wedged")
		pid, err := rtExec(t, h, id, process("sh", "-c", "rm /etc/passwd && mkfifo /etc/passwd"))
		if err != nil {
			t.Fatal(err)
		}
		if code := h.wait(id, pid); code != 0 {
			t.Fatalf("planting the FIFO exited %d", code)
		}
		for _, tc := range []struct {
			name string
			user oci.User
			hr   prot.HResult
			want string
		}{
			// The daemon's own lookup refuses the FIFO (hardening_paths).
			{"named user", oci.User{Username: "root"}, prot.HrFail, "FIFO"},
			// The runtime reads the file itself, with or without a user.
			{"no user", oci.User{}, prot.HrVmcomputeTimeout, "exec " + id + ": runtime invocation timed out"},
			{"numeric user", oci.User{UID: 1000, GID: 1000}, prot.HrVmcomputeTimeout, "exec " + id + ": runtime invocation timed out"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := process("true")
				p.User = tc.user
				_, err := rtExec(t, h, id, p)
				if client.HResult(err) != tc.hr || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("exec: %v, want %v with %q", err, tc.hr, tc.want)
				}
				rtOnlyInit(t, h, id)
			})
		}
		// Other containers are served meanwhile.
		pid, err = rtExec(t, h, healthy, process("true"))
		if err != nil {
			t.Fatalf("exec in a healthy container: %v", err)
		}
		if code := h.wait(healthy, pid); code != 0 {
			t.Fatalf("exec in a healthy container exited %d", code)
		}
		stacks, err := h.c.DumpStacks(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, stuck := range []string{"internal/runtime.", "execProcess"} {
			if strings.Contains(stacks, stuck) {
				t.Errorf("a goroutine is still in %s:\n%s", stuck, stacks)
			}
		}
		// The wedged container still goes cleanly.
		ctx := testCtx(t)
		if err := h.c.ShutdownForced(ctx, id); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		if n := h.notification(id); n.Type != prot.NtForcedExit && n.Type != prot.NtUnexpectedExit {
			t.Errorf("notification %+v, want a forced exit", n)
		}
		if err := h.c.DeleteContainerState(ctx, id); err != nil {
			t.Fatalf("delete: %v", err)
		}
	})
}

// TestHardeningRuntimeWedgedCreate creates a container from a layer whose
// /etc/passwd is a FIFO, which wedges the runtime's create: the reply is a
// timeout within the bound, the abort path leaves nothing behind (the
// harness checks mounts, runtime state, cgroups and stray processes) and
// the daemon creates other containers afterwards.
func TestHardeningRuntimeWedgedCreate(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt, "-runtime-timeout", rtBound.String())
		good := h.layer
		fifo := testutil.BusyboxRootfsAt(t, filepath.Join(h.root, "layers", "fifo-passwd"))
		passwd := filepath.Join(fifo, "etc", "passwd")
		if err := os.Remove(passwd); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mkfifo(passwd, 0o644); err != nil {
			t.Fatal(err)
		}
		h.layer = fifo
		id := h.id("wedged")
		done := make(chan error, 1)
		go func() { done <- h.create(id, specFor("sleep", "1000")) }()
		var err error
		select {
		case err = <-done:
		case <-time.After(rtReplyWait):
			t.Fatalf("create of %s: no reply within %s", id, rtReplyWait)
		}
		h.layer = good
		if client.HResult(err) != prot.HrVmcomputeTimeout || !strings.Contains(err.Error(), "create "+id+": runtime invocation timed out") {
			t.Fatalf("create: %v, want %v naming the create", err, prot.HrVmcomputeTimeout)
		}
		if _, err := os.Stat(h.bundle(id) + "/config.json"); !os.IsNotExist(err) {
			t.Errorf("the failed create left its bundle: %v", err)
		}
		healthy := rtStarted(t, h, "healthy")
		pid, err := rtExec(t, h, healthy, process("true"))
		if err != nil {
			t.Fatalf("exec in a healthy container: %v", err)
		}
		if code := h.wait(healthy, pid); code != 0 {
			t.Fatalf("exec in a healthy container exited %d", code)
		}
	})
}
