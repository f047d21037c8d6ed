package test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// Adversarial tests: a process in a container is hostile. Nothing it does
// may wedge, slow or crash the daemon, grow its memory without bound, or
// delay other containers' requests.

// answersWithin runs f and fails the test unless it returns within d.
func answersWithin(t *testing.T, what string, d time.Duration, f func() error) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
		t.Logf("%s took %v", what, time.Since(start).Round(time.Millisecond))
	case <-time.After(d):
		t.Errorf("%s: not answered within %v", what, d)
	}
}

// startRunning creates and starts a container running args and returns
// its id and init pid.
func startRunning(t *testing.T, h *hostEnv, prefix string, spec *oci.Spec) (string, uint32) {
	t.Helper()
	id := h.id(prefix)
	if err := h.create(id, spec); err != nil {
		t.Fatal(err)
	}
	pid, err := h.startInit(id, h.listenStdio(false, false, false))
	if err != nil {
		t.Fatal(err)
	}
	return id, pid
}

// probePrompt checks another container's requests stay prompt: an exec
// that prints and exits, waited for, within d.
func probePrompt(t *testing.T, h *hostEnv, id string, d time.Duration) {
	t.Helper()
	answersWithin(t, "probe exec in "+id, d, func() error {
		s := h.listenStdio(false, true, false)
		pid, err := h.exec(id, process("echo", "probe"), s)
		if err != nil {
			return err
		}
		out := h.readAll(s.out)
		code, err := h.c.WaitForProcess(testCtx(t), id, pid, -1)
		if err != nil || code != 0 {
			return fmt.Errorf("probe exit %d %v", code, err)
		}
		if got := <-out; got != "probe\n" {
			return fmt.Errorf("probe output %q", got)
		}
		_, err = h.c.GetProperties(testCtx(t), id, prot.PtProcessList)
		return err
	})
}

// The host writes a lot to a process that never reads its stdin: nothing
// grows, and a kill ends the exec at once.
func TestHostileStdinNeverRead(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id, _ := startRunning(t, h, "noread", specFor("sleep", "1000"))
		rss0 := h.g.rssKiB(t)
		s := h.listenStdio(true, true, false)
		pid, err := h.exec(id, process("sleep", "1000"), s)
		if err != nil {
			t.Fatal(err)
		}
		in := h.conn(s.in)
		out := h.readAll(s.out)
		written := make(chan int64, 1)
		go func() {
			buf := make([]byte, 1<<20)
			var n int64
			for i := 0; i < 256; i++ {
				in.SetWriteDeadline(time.Now().Add(20 * time.Second))
				m, err := in.Write(buf)
				n += int64(m)
				if err != nil {
					break
				}
			}
			written <- n
		}()
		time.Sleep(3 * time.Second)
		probePrompt(t, h, id, 30*time.Second)
		if r := h.g.rssKiB(t); r-rss0 > 100<<10 {
			t.Errorf("daemon RSS grew by %d KiB", r-rss0)
		}
		if err := h.c.SignalProcess(testCtx(t), id, pid, 9); err != nil {
			t.Fatal(err)
		}
		answersWithin(t, "wait for the killed exec", 30*time.Second, func() error {
			code, err := h.c.WaitForProcess(testCtx(t), id, pid, -1)
			if err == nil && code != 137 {
				err = fmt.Errorf("exit %d", code)
			}
			return err
		})
		<-out
		t.Logf("host wrote %d KiB before the process ended", <-written>>10)
	})
}

// A process closes its stdout early and runs on: the host reads EOF and the
// exit still comes.
func TestHostileCloseStdoutEarly(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id, _ := startRunning(t, h, "close", specFor("sleep", "1000"))
		s := h.listenStdio(true, true, true)
		pid, err := h.exec(id, process("sh", "-c", "echo bye; exec 1>&- 2>&- 0<&-; sleep 3; exit 9"), s)
		if err != nil {
			t.Fatal(err)
		}
		h.conn(s.in)
		out, errOut := h.readAll(s.out), h.readAll(s.err)
		select {
		case got := <-out:
			if got != "bye\n" {
				t.Errorf("stdout %q", got)
			}
		case <-time.After(20 * time.Second):
			t.Error("stdout not ended after the process closed it")
		}
		<-errOut
		answersWithin(t, "wait", 30*time.Second, func() error {
			code, err := h.c.WaitForProcess(testCtx(t), id, pid, -1)
			if err == nil && code != 9 {
				err = fmt.Errorf("exit %d", code)
			}
			return err
		})
	})
}

// Many execs that exit at once, in parallel, each with its own code.
func TestHostileParallelInstantExecs(t *testing.T) {
	const n = 64
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id, _ := startRunning(t, h, "many", specFor("sleep", "1000"))
		inParallel(t, n, func(i int) error {
			s := h.listenStdio(false, true, false)
			pid, err := h.exec(id, process("sh", "-c", fmt.Sprintf("echo %d; exit %d", i, i%200)), s)
			if err != nil {
				return fmt.Errorf("exec %d: %w", i, err)
			}
			out := h.readAll(s.out)
			var errs []error
			code, err := h.c.WaitForProcess(testCtx(t), id, pid, -1)
			if err != nil || code != uint32(i%200) {
				errs = append(errs, fmt.Errorf("exec %d (pid %d): exit %d %v", i, pid, code, err))
			}
			if got := <-out; got != fmt.Sprintf("%d\n", i) {
				errs = append(errs, fmt.Errorf("exec %d: output %q", i, got))
			}
			return errors.Join(errs...)
		})
	})
}

// An init that ignores SIGTERM: a graceful shutdown does nothing, the
// forced one ends it, and the daemon's own teardown is bounded.
func TestHostileIgnoresSigterm(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id, pid := startRunning(t, h, "term", specFor("sh", "-c", "trap '' TERM; while :; do sleep 1; done"))
		time.Sleep(300 * time.Millisecond)
		if err := h.c.ShutdownGraceful(testCtx(t), id); err != nil {
			t.Fatal(err)
		}
		if _, err := h.c.WaitForProcess(testCtx(t), id, pid, 2000); client.HResult(err) != prot.HrVmcomputeTimeout {
			t.Fatalf("init ended on an ignored SIGTERM: %v", err)
		}
		answersWithin(t, "forced shutdown", 30*time.Second, func() error { return h.c.ShutdownForced(testCtx(t), id) })
		answersWithin(t, "wait after forced shutdown", 30*time.Second, func() error {
			_, err := h.c.WaitForProcess(testCtx(t), id, pid, -1)
			return err
		})
		// A second one that ignores SIGTERM, left for the daemon's exit.
		startRunning(t, h, "term", specFor("sh", "-c", "trap '' TERM; while :; do sleep 1; done"))
		time.Sleep(300 * time.Millisecond)
		h.g.cmd.Process.Signal(syscall.SIGTERM)
		if err := h.g.wait(t, 60*time.Second); err != nil {
			t.Logf("gcs exit: %v", err)
		}
	})
}

// Resizes of a terminal whose process has exited: the exec before its wait,
// the init after its exit, answer at once.
func TestHostileResizeExited(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		spec := specFor("sh", "-c", "echo hi; exit 2")
		spec.Process.Terminal = true
		id := h.id("ttyinit")
		if err := h.create(id, spec); err != nil {
			t.Fatal(err)
		}
		s := h.listenStdio(false, true, false)
		pid, err := h.startInit(id, s)
		if err != nil {
			t.Fatal(err)
		}
		h.readAll(s.out)
		if code := h.wait(id, pid); code != 2 {
			t.Errorf("init exit %d", code)
		}
		answersWithin(t, "resize of the exited tty init", 30*time.Second, func() error {
			err := h.c.ResizeConsole(testCtx(t), id, pid, 20, 20)
			t.Logf("resize of exited init: %v", err)
			return nil
		})

		id2, _ := startRunning(t, h, "ttyexec", specFor("sleep", "1000"))
		p := process("sh", "-c", "exit 3")
		p.Terminal = true
		s2 := h.listenStdio(false, true, false)
		epid, err := h.exec(id2, p, s2)
		if err != nil {
			t.Fatal(err)
		}
		h.readAll(s2.out)
		time.Sleep(time.Second)
		answersWithin(t, "resize of an exited tty exec", 30*time.Second, func() error {
			err := h.c.ResizeConsole(testCtx(t), id2, epid, 20, 20)
			t.Logf("resize of exited exec: %v", err)
			return nil
		})
		if code := h.wait(id2, epid); code != 3 {
			t.Errorf("exec exit %d", code)
		}
	})
}

// The init exits while execs are being created: every exec either fails
// or is waited for, the notification comes and delete succeeds.
func TestHostileInitExitsDuringExec(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		for round := 0; round < 3; round++ {
			id := h.id("racy")
			if err := h.create(id, specFor("sh", "-c", "sleep 0.3; exit 5")); err != nil {
				t.Fatal(err)
			}
			ipid, err := h.startInit(id, h.listenStdio(false, false, false))
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var started, failed atomic.Int32
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 100; i++ {
						s := h.listenStdio(true, true, true)
						pid, err := h.exec(id, process("sleep", "1000"), s)
						if err != nil {
							failed.Add(1)
							return
						}
						started.Add(1)
						go h.readAll(s.out)
						go h.readAll(s.err)
						done := make(chan error, 1)
						go func() {
							_, err := h.c.WaitForProcess(testCtx(t), id, pid, -1)
							done <- err
						}()
						select {
						case err := <-done:
							if err != nil {
								t.Errorf("wait of exec %d: %v", pid, err)
							}
						case <-time.After(45 * time.Second):
							t.Errorf("exec %d created while the init exited never ends", pid)
							return
						}
					}
				}()
			}
			wg.Wait()
			t.Logf("round %d: %d execs started, %d refused", round, started.Load(), failed.Load())
			if code := h.wait(id, ipid); code != 5 {
				t.Errorf("init exit %d", code)
			}
			if n := h.notification(id); n.Type != prot.NtUnexpectedExit {
				t.Errorf("notification %s", n.Type)
			}
			answersWithin(t, "delete", 30*time.Second, func() error { return h.c.DeleteContainerState(testCtx(t), id) })
		}
	})
}

// Many terminal execs that exit at once, in parallel, while the init exits
// midway: exit codes stay each exec's own, nothing is left behind.
func TestHostileParallelTTYExecsInitExits(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id, ipid := startRunning(t, h, "ttymany", specFor("sh", "-c", "sleep 1; exit 6"))
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := 0; i < 32; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 40 * time.Millisecond)
				p := process("sh", "-c", fmt.Sprintf("exit %d", i))
				p.Terminal = true
				s := h.listenStdio(true, true, false)
				pid, err := h.exec(id, p, s)
				if err != nil {
					return // the init is gone
				}
				out := h.readAll(s.out)
				done := make(chan struct{})
				go func() {
					defer close(done)
					code, err := h.c.WaitForProcess(testCtx(t), id, pid, -1)
					if err != nil || (code != uint32(i) && code != 137) {
						errs <- fmt.Errorf("tty exec %d (pid %d): exit %d %v", i, pid, code, err)
					}
				}()
				select {
				case <-done:
				case <-time.After(45 * time.Second):
					errs <- fmt.Errorf("tty exec %d never ended", i)
				}
				<-out
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if code := h.wait(id, ipid); code != 6 {
			t.Errorf("init exit %d", code)
		}
		if n := h.notification(id); n.Type != prot.NtUnexpectedExit {
			t.Errorf("notification %s", n.Type)
		}
	})
}
