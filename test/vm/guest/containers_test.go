package guest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// TestContainerLifecycle takes a container through create, start, an
// exec, its init's exit, the exit notification and delete, with the init's
// stdin, stdout and stderr relayed over vsock: 1 MiB in, the same MiB back
// on stdout and on stderr, byte for byte.
func TestContainerLifecycle(t *testing.T) {
	h := vm(t)
	id := h.id("life")
	h.create(t, id, specFor("sh", "-c", "tee /dev/stderr; exit 7"))
	c := h.client(t)
	props, err := c.GetProperties(testCtx(t), id, prot.PtProcessList)
	if err != nil || len(props.ProcessList) != 1 {
		t.Fatalf("process list before start: %+v %v", props, err)
	}

	s := h.stdio(t, true, true, true)
	if err := c.Start(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	pid, err := c.ExecuteProcess(testCtx(t), id, s.params(), s.settings)
	if err != nil {
		t.Fatal(err)
	}
	if pid != props.ProcessList[0].ProcessID {
		t.Errorf("init pid %d, the process list said %d", pid, props.ProcessList[0].ProcessID)
	}
	in := conn(t, s.in)
	out, errOut := readAll(s.out), readAll(s.errc)

	// An exec while the init runs.
	es := h.stdio(t, false, true, false)
	params := es.params()
	params.OCIProcess = process("sh", "-c", "echo exec-ok; exit 2")
	epid, err := c.ExecuteProcess(testCtx(t), id, params, es.settings)
	if err != nil {
		t.Fatal(err)
	}
	eout := readAll(es.out)
	if code := h.wait(t, id, epid); code != 2 {
		t.Errorf("exec exit code %d, want 2", code)
	}
	if got := string(recv(t, "exec stdout", eout)); got != "exec-ok\n" {
		t.Errorf("exec stdout %q", got)
	}

	// Statistics from the VM's pure cgroup2, in the cgroup v1 shape the host
	// reads (LCOWMetrics).
	props, err = c.GetProperties(testCtx(t), id, prot.PtStatistics)
	if err != nil {
		t.Fatal(err)
	}
	if m := props.Metrics; m == nil || m.Memory == nil || m.Memory.Usage == nil || m.Memory.Usage.Usage == 0 ||
		m.Pids == nil || m.Pids.Current == 0 || m.CPU == nil || m.CPU.Usage == nil || m.CPU.Usage.Total == 0 ||
		m.Blkio == nil || m.Network != nil {
		t.Errorf("cgroup v2 statistics in the v1 shape: %+v", m)
	}

	data := make([]byte, 1<<20)
	rand.Read(data)
	wrote := make(chan error, 1)
	go func() {
		_, err := in.Write(data)
		if cw, ok := in.(interface{ CloseWrite() error }); ok && err == nil {
			err = cw.CloseWrite()
		}
		wrote <- err
	}()
	if code := h.wait(t, id, pid); code != 7 {
		t.Errorf("init exit code %d, want 7", code)
	}
	if err := <-wrote; err != nil {
		t.Errorf("writing stdin: %v", err)
	}
	for _, st := range []struct {
		name string
		ch   <-chan []byte
	}{{"stdout", out}, {"stderr", errOut}} {
		got := recv(t, st.name, st.ch)
		if !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes back, want the %d written (equal prefix: %d bytes)", st.name, len(got), len(data), commonPrefix(got, data))
		}
	}
	n := h.notification(t, id, 30*time.Second)
	if n.Type != prot.NtUnexpectedExit || n.Operation != prot.AoNone || n.Result != 0 {
		t.Errorf("notification %+v, want UnexpectedExit", n)
	}
	if _, err := c.GetProperties(testCtx(t), id, prot.PtProcessList, prot.PtStatistics); err != nil {
		t.Errorf("properties after exit: %v", err)
	}
	if err := c.DeleteContainerState(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteContainerState(testCtx(t), id); client.HResult(err) != prot.HrVmcomputeSystemNotFound {
		t.Errorf("second delete: %v, want not found", err)
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// TestPtyExec runs an exec on a pseudo-terminal relayed over vsock,
// resizes it, then kills the container.
func TestPtyExec(t *testing.T) {
	h := vm(t)
	id := h.id("pty")
	h.create(t, id, specFor("sleep", "1000"))
	c := h.client(t)
	if err := c.Start(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	ns := h.stdio(t, false, false, false)
	initPid, err := c.ExecuteProcess(testCtx(t), id, ns.params(), ns.settings)
	if err != nil {
		t.Fatal(err)
	}
	s := h.stdio(t, true, true, false)
	params := s.params()
	params.OCIProcess = process("sh", "-c", "read x; stty size; echo got:$x; tty")
	params.OCIProcess.Terminal = true
	pid, err := c.ExecuteProcess(testCtx(t), id, params, s.settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ResizeConsole(testCtx(t), id, pid, 33, 111); err != nil {
		t.Fatal(err)
	}
	in := conn(t, s.in)
	out := readAll(s.out)
	if _, err := in.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	if code := h.wait(t, id, pid); code != 0 {
		t.Errorf("exit code %d", code)
	}
	got := string(recv(t, "pty output", out))
	for _, want := range []string{"33 111", "got:hello", "/dev/pts/"} {
		if !strings.Contains(got, want) {
			t.Errorf("pty output %q lacks %q", got, want)
		}
	}
	if err := c.ShutdownForced(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	if code := h.wait(t, id, initPid); code != 137 {
		t.Errorf("init exit code %d after the forced shutdown, want 137", code)
	}
	if n := h.notification(t, id, 30*time.Second); n.Type != prot.NtForcedExit {
		t.Errorf("notification %s, want ForcedExit", n.Type)
	}
}

// TestReconnectDeliversQueuedNotification drops the bridge while a
// container's init is about to exit: the GCS dials the host again and the
// exit notification, queued meanwhile, arrives on the new connection.
func TestReconnectDeliversQueuedNotification(t *testing.T) {
	h := vm(t)
	id := h.id("redial")
	h.create(t, id, specFor("sh", "-c", "sleep 1; exit 5"))
	c := h.client(t)
	if err := c.Start(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	s := h.stdio(t, false, false, false)
	pid, err := c.ExecuteProcess(testCtx(t), id, s.params(), s.settings)
	if err != nil {
		t.Fatal(err)
	}
	h.drop()
	// The init exits while no host is connected.
	proc := fmt.Sprintf("/proc/%d", pid)
	if !waitFor(20*time.Second, func() bool { _, err := os.Stat(proc); return err != nil }) {
		t.Fatalf("init %d still running 20s after start", pid)
	}
	time.Sleep(500 * time.Millisecond)
	before := h.connections()
	c = h.client(t) // accepts the GCS's redial
	if h.connections() == before {
		t.Fatal("no new connection")
	}
	n := h.notification(t, id, 30*time.Second)
	if n.Type != prot.NtUnexpectedExit {
		t.Errorf("notification after the redial: %+v, want UnexpectedExit", n)
	}
	if code := h.wait(t, id, pid); code != 5 {
		t.Errorf("init exit code %d, want 5", code)
	}
}

func (h *host) connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conns
}
