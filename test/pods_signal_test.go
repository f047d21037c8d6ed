package test

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/prot"
)

// TestPodSignalInitReachesOnlyInit sends SIGTERM to a container's init
// with SignalProcess, as hcsshim's host does to stop a task: only the init
// gets it (it traps it and carries on), an exec in the same container is
// untouched (it then dies of the SIGKILL sent to it alone: 137, not 143).
// The exit type recorded is still the graceful one, and ShutdownForced
// then brings the whole container down with one ForcedExit notification.
func TestPodSignalInitReachesOnlyInit(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("sig")
		spec := specFor("sh", "-c", "trap 'echo term > /dev/got' TERM; echo ready > /dev/ready; while :; do sleep 1 & wait; done")
		if err := h.create(id, spec); err != nil {
			t.Fatal(err)
		}
		initPid, err := h.startInit(id, h.listenStdio(false, false, false))
		if err != nil {
			t.Fatal(err)
		}
		podAwaitFile(t, h, id, "/dev/ready")
		execPid, err := h.exec(id, process("sleep", "1000"), h.listenStdio(false, false, false))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.c.SignalProcess(testCtx(t), id, initPid, int32(unix.SIGTERM)); err != nil {
			t.Fatal(err)
		}
		podAwaitFile(t, h, id, "/dev/got")
		if err := h.c.SignalProcess(testCtx(t), id, execPid, int32(unix.SIGKILL)); err != nil {
			t.Fatalf("SIGKILL the exec: %v", err)
		}
		if code := h.wait(id, execPid); code != 128+uint32(unix.SIGKILL) {
			t.Errorf("exec exited %d: the init's SIGTERM reached it (want %d)", code, 128+uint32(unix.SIGKILL))
		}
		if err := h.c.ShutdownForced(testCtx(t), id); err != nil {
			t.Fatal(err)
		}
		h.wait(id, initPid)
		if n := h.notification(id); n.Type != prot.NtForcedExit {
			t.Errorf("notification %+v, want ForcedExit", n)
		}
	})
}

// podAwaitFile waits until file exists in container id.
func podAwaitFile(t *testing.T, h *hostEnv, id, file string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, code := podOutput(t, h, id, "test", "-e", file); code == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared in %s", file, id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
