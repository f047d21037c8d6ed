package test

import (
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Review of ExecuteProcess, SignalProcess, ResizeConsole and
// WaitForProcess with odd parameters, against the real daemon and runtimes.

// TestExecReviewEnvValueNeverEchoed: an exec whose environment the runtime
// cannot pass (a NUL in a value, an entry with no '=') fails, and neither
// the reply nor the daemon's log quotes the value.
func TestExecReviewEnvValueNeverEchoed(t *testing.T) {
	const secret = "hunter2-secret-value"
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id, _ := startRunning(t, h, "envecho", specFor("sleep", "1000"))
		for _, env := range [][]string{
			{"PATH=/bin", "TOKEN=" + secret + "\x00tail"},
			{"PATH=/bin", "TOKEN\x00" + secret + "=x"},
			{"PATH=/bin", secret},
			{"PATH=/bin", "=" + secret},
		} {
			p := process("true")
			p.Env = env
			pid, err := h.exec(id, p, h.listenStdio(false, false, false))
			if err == nil {
				// crun cut the entry at the NUL: not what was asked.
				t.Errorf("env entry %d: started pid %d, exit %d", len(env)-1, pid, h.wait(id, pid))
				continue
			}
			if client.HResult(err) != prot.HrInvalidArg {
				t.Errorf("env entry %d: %v, want E_INVALIDARG", len(env)-1, err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("reply quotes the environment: %v", err)
			}
		}
		if strings.Contains(h.g.log(), secret) {
			t.Errorf("daemon log quotes the environment")
		}
		// The container is still usable.
		pid, err := h.exec(id, process("true"), h.listenStdio(false, false, false))
		if err != nil || h.wait(id, pid) != 0 {
			t.Fatalf("exec after refused ones: %v", err)
		}
	})
}

// TestExecReviewUIDMinusOne: uid or gid 4294967295 is (uid_t)-1, which
// setuid and setgid take for "leave as is": an exec asked to run as it must
// fail, never run as the runtime's root.
func TestExecReviewUIDMinusOne(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id, _ := startRunning(t, h, "uidm1", specFor("sleep", "1000"))
		for _, u := range []oci.User{
			{UID: 4294967295, GID: 1000},
			{UID: 1000, GID: 4294967295},
			{Username: "4294967295"},
			{Username: "1000:4294967295"},
		} {
			p := process("sh", "-c", "echo $(id -u):$(id -g)")
			p.User = u
			s := h.listenStdio(false, true, false)
			pid, err := h.exec(id, p, s)
			if err == nil {
				out := h.readAll(s.out)
				t.Errorf("user %+v: exit %d, ran as %q", u, h.wait(id, pid), <-out)
				continue
			}
			if client.HResult(err) != prot.HrInvalidArg {
				t.Errorf("user %+v: %v, want E_INVALIDARG", u, err)
			}
		}
	})
}
