package test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// pathsHostileWait bounds each request a hostile container could wedge:
// generous, but far below the harness's own minute.
const pathsHostileWait = 20 * time.Second

// pathsRun runs args in container id as the container's user and returns
// the exit code.
func pathsRun(t *testing.T, h *hostEnv, id string, args ...string) uint32 {
	t.Helper()
	pid, err := h.exec(id, process(args...), h.listenStdio(false, false, false))
	if err != nil {
		t.Fatalf("exec %v: %v", args, err)
	}
	return h.wait(id, pid)
}

// pathsExecAs runs true as user in container id, bounded by
// pathsHostileWait, and returns the reply's error.
func pathsExecAs(t *testing.T, h *hostEnv, id, user string) error {
	t.Helper()
	p := process("true")
	p.User.Username = user
	ctx, cancel := context.WithTimeout(context.Background(), pathsHostileWait)
	defer cancel()
	s := h.listenStdio(false, false, false)
	params := h.params(s)
	params.OCIProcess = p
	pid, err := h.c.ExecuteProcess(ctx, id, params, s.settings)
	if err == nil {
		h.wait(id, pid)
	}
	return err
}

// TestHardeningPathsHostileUserFiles has real containers replace their
// /etc/passwd with what would wedge or mislead a lookup through the VM's
// own file system, then exec as a named user: each exec gets a prompt,
// clear error (or resolves inside the rootfs), and the daemon keeps
// serving with no request left stuck.
func TestHardeningPathsHostileUserFiles(t *testing.T) {
	// A VM file the containers point at: it lists a user their rootfs lacks.
	vmFile := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(vmFile, []byte("vmonly:x:4242:4242::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		// The runtime itself reads the poisoned files when it enters a
		// container, so the daemon's health is checked in another one.
		healthy := h.id("healthy")
		if err := h.create(healthy, specFor("sleep", "1000")); err != nil {
			t.Fatal(err)
		}
		if _, err := h.startInit(healthy, h.listenStdio(false, false, false)); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, plant, user, wantErr string
		}{
			{"FIFO", "rm /etc/passwd && mkfifo /etc/passwd", "root", "FIFO"},
			{"link to /dev/urandom", "ln -sf /dev/urandom /etc/passwd", "root", "no such user"},
			{"absolute link to a VM file", "ln -sf " + vmFile + " /etc/passwd", "vmonly", "no such user"},
			{"relative link out of the rootfs", "ln -sf ../../../../../../../.." + vmFile + " /etc/passwd", "vmonly", "no such user"},
			{"group file is a FIFO", "rm /etc/group && mkfifo /etc/group", "root:root", "FIFO"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := h.id("users")
				if err := h.create(id, specFor("sleep", "1000")); err != nil {
					t.Fatal(err)
				}
				if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
					t.Fatal(err)
				}
				if code := pathsRun(t, h, id, "sh", "-c", tc.plant); code != 0 {
					t.Fatalf("planting %q exited %d", tc.plant, code)
				}
				// More attempts than one: each must be answered, none may
				// hold a worker.
				for i := 0; i < 3; i++ {
					err := pathsExecAs(t, h, id, tc.user)
					if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("exec as %q: %v, want E_FAIL with %q", tc.user, err, tc.wantErr)
					}
				}
				// The daemon still serves, users resolve elsewhere.
				if _, err := h.c.GetProperties(testCtx(t), id, prot.PtProcessList); err != nil {
					t.Fatalf("properties after hostile execs: %v", err)
				}
				if err := pathsExecAs(t, h, healthy, "root"); err != nil {
					t.Fatalf("exec as root in a healthy container: %v", err)
				}
			})
		}
		stacks, err := h.c.DumpStacks(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, stuck := range []string{"resolveUser", "lookupID", "rootfs.readFile"} {
			if strings.Contains(stacks, stuck) {
				t.Errorf("a goroutine is still in %s:\n%s", stuck, stacks)
			}
		}
	})
}
