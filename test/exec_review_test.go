package test

import (
	"fmt"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Review of ExecuteProcess, SignalProcess, ResizeConsole and
// WaitForProcess with odd parameters, against the real daemon and runtimes.

// wantInvalidArg execs p in container id and fails the test unless the
// exec is refused with E_INVALIDARG; an exec that ran reports its output.
func wantInvalidArg(t *testing.T, h *hostEnv, id string, p *oci.Process, what string) {
	t.Helper()
	s := h.listenStdio(false, true, false)
	pid, err := h.exec(id, p, s)
	if err == nil {
		out := h.readAll(s.out)
		t.Errorf("%s: exit %d, output %q", what, h.wait(id, pid), <-out)
		return
	}
	if client.HResult(err) != prot.HrInvalidArg {
		t.Errorf("%s: %v, want E_INVALIDARG", what, err)
	}
}

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
			wantInvalidArg(t, h, id, p, fmt.Sprintf("user %+v", u))
		}
	})
}

// TestExecReviewRelativeCwd: a relative Cwd is refused as runc refuses it;
// crun took it from "/", so that the exec ran somewhere other than the
// directory the host named and the policy judged.
func TestExecReviewRelativeCwd(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id, _ := startRunning(t, h, "cwd", specFor("sleep", "1000"))
		for _, cwd := range []string{"tmp", "../../..", "./"} {
			p := process("pwd")
			p.Cwd = cwd
			wantInvalidArg(t, h, id, p, fmt.Sprintf("cwd %q", cwd))
		}
	})
}
