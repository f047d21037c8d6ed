package test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

func TestContainerLifecycle(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("life")
		if err := h.create(id, specFor("sh", "-c", "echo hello; read x; echo got:$x; echo oops >&2; exit 3")); err != nil {
			t.Fatal(err)
		}
		// Before the init runs, its pid is already in the cgroup.
		props, err := h.c.GetProperties(testCtx(t), id, prot.PtProcessList)
		if err != nil || len(props.ProcessList) != 1 {
			t.Fatalf("process list before start: %+v %v", props, err)
		}
		s := h.listenStdio(true, true, true)
		pid, err := h.startInit(id, s)
		if err != nil {
			t.Fatal(err)
		}
		if pid != props.ProcessList[0].ProcessID {
			t.Errorf("init pid %d, process list said %d", pid, props.ProcessList[0].ProcessID)
		}
		in := h.conn(s.in)
		out, errOut := h.readAll(s.out), h.readAll(s.err)
		in.Write([]byte("abc\n"))
		in.(interface{ CloseWrite() error }).CloseWrite()
		if code := h.wait(id, pid); code != 3 {
			t.Errorf("exit code %d, want 3", code)
		}
		// All output was relayed before the wait answered.
		select {
		case got := <-out:
			if got != "hello\ngot:abc\n" {
				t.Errorf("stdout %q", got)
			}
		case <-time.After(time.Second):
			t.Error("stdout not complete when the wait answered")
		}
		if got := <-errOut; got != "oops\n" {
			t.Errorf("stderr %q", got)
		}
		n := h.notification(id)
		if n.Type != prot.NtUnexpectedExit || n.Operation != prot.AoNone || n.Result != 0 {
			t.Errorf("notification %+v", n)
		}
		// The init stays resolvable: a second wait answers at once.
		if code := h.wait(id, pid); code != 3 {
			t.Errorf("second wait %d", code)
		}
		if _, err := h.c.GetProperties(testCtx(t), id, prot.PtProcessList, prot.PtStatistics); err != nil {
			t.Errorf("properties after exit: %v", err)
		}
		if err := h.c.DeleteContainerState(testCtx(t), id); err != nil {
			t.Fatal(err)
		}
		if err := h.c.DeleteContainerState(testCtx(t), id); client.HResult(err) != prot.HrVmcomputeSystemNotFound {
			t.Errorf("second delete: %v", err)
		}
	})
}

func TestExitCodes(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("codes")
		// As pid 1 of its namespace the init only dies of signals it handles.
		if err := h.create(id, specFor("sh", "-c", "trap 'exit 143' TERM; sleep 1000 & wait")); err != nil {
			t.Fatal(err)
		}
		initPid, err := h.startInit(id, h.listenStdio(false, false, false))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			args   []string
			signal int32
			want   uint32
		}{
			{"exit 0", []string{"true"}, -1, 0},
			{"exit 3", []string{"sh", "-c", "exit 3"}, -1, 3},
			{"SIGKILL", []string{"sleep", "1000"}, 9, 137},
			{"signal 0 means SIGKILL", []string{"sleep", "1000"}, 0, 137},
			{"SIGTERM", []string{"sleep", "1000"}, 15, 143},
		} {
			pid, err := h.exec(id, process(tc.args...), h.listenStdio(false, false, false))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if tc.signal >= 0 {
				if err := h.c.SignalProcess(testCtx(t), id, pid, tc.signal); err != nil {
					t.Fatalf("%s: signal: %v", tc.name, err)
				}
			}
			if code := h.wait(id, pid); code != tc.want {
				t.Errorf("%s: exit code %d, want %d", tc.name, code, tc.want)
			}
			// The exec is released after its exit was delivered.
			if _, err := h.c.WaitForProcess(testCtx(t), id, pid, -1); client.HResult(err) != prot.HrElementNotFound {
				t.Errorf("%s: wait after release: %v", tc.name, err)
			}
			if err := h.c.SignalProcess(testCtx(t), id, pid, 9); client.HResult(err) != prot.HrElementNotFound {
				t.Errorf("%s: signal after release: %v", tc.name, err)
			}
		}
		// A wait with a timeout on a running process times out.
		if _, err := h.c.WaitForProcess(testCtx(t), id, initPid, 100*time.Millisecond); client.HResult(err) != prot.HrVmcomputeTimeout {
			t.Errorf("timed wait: %v", err)
		}
		if err := h.c.ResizeConsole(testCtx(t), id, initPid, 10, 10); client.HResult(err) != prot.HrFail {
			t.Errorf("resize of a non-tty: %v", err)
		}
		if err := h.c.ShutdownGraceful(testCtx(t), id); err != nil {
			t.Fatal(err)
		}
		if code := h.wait(id, initPid); code != 143 {
			t.Errorf("init after graceful shutdown: %d", code)
		}
		if n := h.notification(id); n.Type != prot.NtGracefulExit {
			t.Errorf("notification %s, want GracefulExit", n.Type)
		}
	})
}

func TestStdioMiBByteExact(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("mib")
		if err := h.create(id, specFor("sleep", "1000")); err != nil {
			t.Fatal(err)
		}
		if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 1<<20)
		rand.Read(data)
		s := h.listenStdio(true, true, true)
		pid, err := h.exec(id, process("sh", "-c", "cat; echo done >&2"), s)
		if err != nil {
			t.Fatal(err)
		}
		in := h.conn(s.in)
		outc := make(chan []byte, 1)
		go func() {
			c := h.conn(s.out)
			b, _ := io.ReadAll(c)
			c.Close()
			outc <- b
		}()
		errc := h.readAll(s.err)
		if _, err := in.Write(data); err != nil {
			t.Fatal(err)
		}
		in.(interface{ CloseWrite() error }).CloseWrite()
		if code := h.wait(id, pid); code != 0 {
			t.Fatalf("cat exit %d", code)
		}
		if got := <-outc; !bytes.Equal(got, data) {
			t.Fatalf("stdout: %d bytes, equal=%v", len(got), bytes.Equal(got, data))
		}
		if got := <-errc; got != "done\n" {
			t.Fatalf("stderr %q", got)
		}
	})
}

func TestPtyExecResize(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("pty")
		if err := h.create(id, specFor("sleep", "1000")); err != nil {
			t.Fatal(err)
		}
		if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
			t.Fatal(err)
		}
		s := h.listenStdio(true, true, false)
		p := process("sh", "-c", "read x; stty size")
		p.Terminal = true
		pid, err := h.exec(id, p, s)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.c.ResizeConsole(testCtx(t), id, pid, 33, 111); err != nil {
			t.Fatal(err)
		}
		in := h.conn(s.in)
		out := h.readAll(s.out)
		in.Write([]byte("go\n"))
		if code := h.wait(id, pid); code != 0 {
			t.Errorf("exit %d", code)
		}
		if got := <-out; !strings.Contains(got, "33 111") {
			t.Errorf("stty size printed %q, want 33 111", got)
		}
	})
}

func TestInitExitsAtOnce(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("quick")
		if err := h.create(id, specFor("true")); err != nil {
			t.Fatal(err)
		}
		s := h.listenStdio(false, true, true)
		pid, err := h.startInit(id, s)
		if err != nil {
			t.Fatal(err)
		}
		out, errOut := h.readAll(s.out), h.readAll(s.err)
		if code := h.wait(id, pid); code != 0 {
			t.Errorf("exit %d", code)
		}
		if n := h.notification(id); n.Type != prot.NtUnexpectedExit {
			t.Errorf("notification %s", n.Type)
		}
		if o, e := <-out, <-errOut; o != "" || e != "" {
			t.Errorf("output %q %q", o, e)
		}
		// Exec after the init exited fails cleanly.
		if _, err := h.exec(id, process("true"), h.listenStdio(false, false, false)); client.HResult(err) != prot.HrFail {
			t.Errorf("exec after exit: %v", err)
		}
	})
}

func TestExecMissingBinary(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("missing")
		if err := h.create(id, specFor("sleep", "1000")); err != nil {
			t.Fatal(err)
		}
		if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
			t.Fatal(err)
		}
		_, err := h.exec(id, process("/no/such/binary"), h.listenStdio(false, true, true))
		if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "no/such/binary") {
			t.Fatalf("exec of a missing binary: %v", err)
		}
		// The container is still usable.
		pid, err := h.exec(id, process("true"), h.listenStdio(false, false, false))
		if err != nil || h.wait(id, pid) != 0 {
			t.Fatalf("exec after a failed exec: %v", err)
		}
	})
}

func TestParallelContainers(t *testing.T) {
	const n = 50
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		inParallel(t, n, func(i int) error {
			id := h.id("par")
			if err := h.create(id, specFor("sh", "-c", fmt.Sprintf("exit %d", i%7))); err != nil {
				return fmt.Errorf("create %s: %w", id, err)
			}
			pid, err := h.startInit(id, h.listenStdio(false, false, false))
			if err != nil {
				return fmt.Errorf("start %s: %w", id, err)
			}
			code, err := h.c.WaitForProcess(testCtx(t), id, pid, -1)
			if err != nil || code != uint32(i%7) {
				return fmt.Errorf("%s exit %d %v, want %d", id, code, err, i%7)
			}
			return nil
		})
	})
}

func TestForcedExitAlwaysReported(t *testing.T) {
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt, "-loglevel", "info")
		for i := 0; i < rounds; i++ {
			id := h.id("forced")
			if err := h.create(id, specFor("sleep", "1000")); err != nil {
				t.Fatal(err)
			}
			pid, err := h.startInit(id, h.listenStdio(false, false, false))
			if err != nil {
				t.Fatal(err)
			}
			waited := make(chan uint32, 1)
			go func() { waited <- h.wait(id, pid) }()
			if err := h.c.ShutdownForced(testCtx(t), id); err != nil {
				t.Fatal(err)
			}
			if code := <-waited; code != 137 {
				t.Fatalf("round %d: exit %d", i, code)
			}
			if n := h.notification(id); n.Type != prot.NtForcedExit {
				t.Fatalf("round %d: notification %s, want ForcedExit", i, n.Type)
			}
			if err := h.c.DeleteContainerState(testCtx(t), id); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestBadCreateBodies(t *testing.T) {
	h := newHostEnv(t, "runc")
	good := specFor("true")
	noLinux := specFor("true")
	noLinux.Linux = nil
	cfg := func(spec any, schema string) string {
		return fmt.Sprintf(`{"SchemaVersion":%s,"OciBundlePath":"%s","OciSpecification":%s}`, schema, h.bundle("bad"), mustJSON(spec))
	}
	for _, tc := range []struct {
		name   string
		body   string
		wantHr prot.HResult
	}{
		{"malformed body", `{"ContainerId": "abc", not json`, prot.HrVmcomputeInvalidJSON},
		{"ContainerConfig not JSON", `{"ContainerId":"bad","ContainerConfig":"{oops"}`, prot.HrVmcomputeInvalidJSON},
		{"schema 2.0", `{"ContainerId":"bad","ContainerConfig":` + mustJSON(cfg(good, `{"Major":2,"Minor":0}`)) + `}`, prot.HrVmcomputeInvalidJSON},
		{"no schema", `{"ContainerId":"bad","ContainerConfig":"{}"}`, prot.HrVmcomputeInvalidJSON},
		{"no OciSpecification", `{"ContainerId":"bad","ContainerConfig":` + mustJSON(`{"SchemaVersion":{"Major":2,"Minor":1}}`) + `}`, prot.HrInvalidArg},
		{"spec without linux", `{"ContainerId":"bad","ContainerConfig":` + mustJSON(cfg(noLinux, `{"Major":2,"Minor":1}`)) + `}`, prot.HrInvalidArg},
		{"id with a slash", `{"ContainerId":"../etc","ContainerConfig":` + mustJSON(cfg(good, `{"Major":2,"Minor":1}`)) + `}`, prot.HrInvalidArg},
		{"wrong field type", `{"ContainerId": 5, "ContainerConfig": "{}"}`, prot.HrVmcomputeInvalidJSON},
	} {
		_, b, err := h.c.Raw(testCtx(t), prot.ComputeSystemCreateV1, []byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var base prot.MessageResponseBase
		if err := json.Unmarshal(b, &base); err != nil || prot.HResult(base.Result) != tc.wantHr {
			t.Errorf("%s: reply %s, want %s", tc.name, b, tc.wantHr)
		}
	}
	// The daemon is unharmed and the id is free.
	id := h.id("after-bad")
	if err := h.create(id, specFor("true")); err != nil {
		t.Fatalf("create after bad bodies: %v", err)
	}
	if err := h.create(id, specFor("true")); client.HResult(err) != prot.HrVmcomputeAlreadyExists {
		t.Errorf("duplicate create: %v", err)
	}
}

func TestUnknownContainer(t *testing.T) {
	h := newHostEnv(t, "runc")
	ctx := testCtx(t)
	for name, err := range map[string]error{
		"signal":   h.c.SignalProcess(ctx, "nope", 1, 9),
		"shutdown": h.c.ShutdownGraceful(ctx, "nope"),
		"forced":   h.c.ShutdownForced(ctx, "nope"),
		"delete":   h.c.DeleteContainerState(ctx, "nope"),
		"resize":   h.c.ResizeConsole(ctx, "nope", 1, 1, 1),
	} {
		if client.HResult(err) != prot.HrVmcomputeSystemNotFound {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := h.c.WaitForProcess(ctx, "nope", 1, -1); client.HResult(err) != prot.HrVmcomputeSystemNotFound {
		t.Errorf("wait: %v", err)
	}
	if _, err := h.c.GetProperties(ctx, prot.NullContainerID, prot.PtProcessList); client.HResult(err) != prot.HrFail {
		t.Errorf("properties of the VM: %v", err)
	}
	if err := h.c.Start(ctx, "nope"); err != nil {
		t.Errorf("start is a no-op: %v", err)
	}
}

func TestUtilityVMProcess(t *testing.T) {
	h := newHostEnv(t, "runc")
	s := h.listenStdio(false, true, false)
	pid, err := h.c.ExecuteProcess(testCtx(t), prot.NullContainerID, &prot.ProcessParameters{
		CommandLine:      `sh -c 'echo "$GREETING from the VM"; exit 4'`,
		Environment:      map[string]string{"GREETING": "hello", "PATH": "/usr/bin:/bin"},
		CreateStdOutPipe: true,
	}, s.settings)
	if err != nil {
		t.Fatal(err)
	}
	out := h.readAll(s.out)
	if code := h.wait(prot.NullContainerID, pid); code != 4 {
		t.Errorf("exit %d", code)
	}
	if got := <-out; got != "hello from the VM\n" {
		t.Errorf("stdout %q", got)
	}
	// Killed by a signal: -1 as u32.
	pid, err = h.c.ExecuteProcess(testCtx(t), prot.NullContainerID, &prot.ProcessParameters{
		CommandArgs: []string{"/bin/sh", "-c", "kill -9 $$"}, IsExternal: true,
	}, prot.ExecuteProcessVsockStdioRelaySettings{})
	if err != nil {
		t.Fatal(err)
	}
	if code := h.wait(prot.NullContainerID, pid); code != 0xffffffff {
		t.Errorf("signalled VM process exit %d", code)
	}
	if _, err := h.c.WaitForProcess(testCtx(t), prot.NullContainerID, pid, -1); client.HResult(err) != prot.HrElementNotFound {
		t.Errorf("wait after release: %v", err)
	}
	if _, err := h.c.ExecuteProcess(testCtx(t), prot.NullContainerID, &prot.ProcessParameters{}, prot.ExecuteProcessVsockStdioRelaySettings{}); client.HResult(err) != prot.HrInvalidArg {
		t.Errorf("empty command: %v", err)
	}
}

func TestConstraintsAndStatistics(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("stats")
		if err := h.create(id, specFor("sh", "-c", "sleep 1000 & sleep 1000 & wait")); err != nil {
			t.Fatal(err)
		}
		if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
			t.Fatal(err)
		}
		limit := int64(64 << 20)
		err := h.c.ModifySettings(testCtx(t), id, &prot.ModificationRequest{
			ResourceType: prot.ResourceTypeContainerConstraints,
			RequestType:  prot.RequestTypeUpdate,
			Settings:     &prot.LCOWContainerConstraints{Linux: oci.LinuxResources{Memory: &oci.LinuxMemory{Limit: &limit}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var props *prot.PropertiesV2
		deadline := time.Now().Add(10 * time.Second)
		for {
			props, err = h.c.GetProperties(testCtx(t), id, prot.PtStatistics, prot.PtProcessList, prot.PtMemory)
			if err != nil {
				t.Fatal(err)
			}
			if len(props.ProcessList) == 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(props.ProcessList) != 3 {
			t.Errorf("process list %+v, want init and two sleeps", props.ProcessList)
		}
		m := props.Metrics
		if m == nil || m.Memory == nil || m.Memory.Usage == nil || m.Pids == nil || m.CPU == nil {
			t.Fatalf("statistics %+v", m)
		}
		if m.Memory.Usage.Limit != uint64(limit) {
			t.Errorf("memory limit %d after ContainerConstraints, want %d", m.Memory.Usage.Limit, limit)
		}
		if m.Pids.Current != 3 || m.Memory.Usage.Usage == 0 {
			t.Errorf("pids %d, memory usage %d", m.Pids.Current, m.Memory.Usage.Usage)
		}
		if m.Blkio == nil || m.Network != nil {
			t.Errorf("blkio %v network %v: want an empty blkio and no network, as the reference", m.Blkio, m.Network)
		}
		// Constraints on the utility VM itself name no container.
		err = h.c.ModifySettings(testCtx(t), prot.NullContainerID, &prot.ModificationRequest{
			ResourceType: prot.ResourceTypeContainerConstraints, Settings: &prot.LCOWContainerConstraints{},
		})
		if client.HResult(err) != prot.HrVmcomputeSystemNotFound {
			t.Errorf("constraints on the VM: %v", err)
		}
	})
}

func TestShutdownOfTheVMTearsDownAndExits(t *testing.T) {
	h := newHostEnv(t, "runc")
	id := h.id("vmstop")
	if err := h.create(id, specFor("sleep", "1000")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
		t.Fatal(err)
	}
	// The host expects no reply; with -shutdown-action exit the daemon
	// tears its containers down and exits cleanly.
	if _, _, err := h.c.Raw(testCtx(t), prot.ComputeSystemShutdownForcedV1, []byte(`{"ContainerId":"`+prot.NullContainerID+`"}`)); err != nil {
		t.Logf("shutdown reply: %v", err)
	}
	if err := h.g.wait(t, 30*time.Second); err != nil {
		t.Fatalf("gcs exit after VM shutdown: %v", err)
	}
	if !strings.Contains(h.g.log(), "shutdown of the utility VM requested") {
		t.Error("shutdown not logged")
	}
}

func TestNotificationWithoutAnyWait(t *testing.T) {
	h := newHostEnv(t, "runc")
	id := h.id("nowait")
	if err := h.create(id, specFor("sh", "-c", "exit 5")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
		t.Fatal(err)
	}
	// Nobody waits on the init: the notification comes all the same.
	if n := h.notification(id); n.Type != prot.NtUnexpectedExit {
		t.Fatalf("notification %s", n.Type)
	}
	// And exactly one: a later wait answers without another.
	if code := h.wait(id, h.initPid(id)); code != 5 {
		t.Errorf("exit %d", code)
	}
	select {
	case n := <-h.notes:
		t.Errorf("second notification %+v", n)
	case <-time.After(1500 * time.Millisecond):
	}
}

func TestCreateRefusesPathsOutsideTheStateRoot(t *testing.T) {
	h := newHostEnv(t, "runc")
	victim := t.TempDir()
	if err := os.WriteFile(filepath.Join(victim, "precious"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, bundle, scratch string }{
		{"bundle elsewhere", victim, ""},
		{"bundle is the root", h.root, ""},
		{"bundle escapes with ..", h.root + "/c/../../" + filepath.Base(victim), ""},
		{"scratch elsewhere", filepath.Join(h.root, "c", "ok"), victim},
	} {
		spec := specFor("true")
		spec.Root = &oci.Root{Path: h.layer} // a valid spec: only the paths are wrong
		err := h.c.CreateContainer(testCtx(t), "outside", &prot.VMHostedContainerSettingsV2{
			SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: tc.bundle,
			OCISpecification: spec, ScratchDirPath: tc.scratch,
		})
		if client.HResult(err) != prot.HrInvalidArg || !strings.Contains(err.Error(), "Path") {
			t.Errorf("%s: %v, want E_INVALIDARG", tc.name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(victim, "precious")); err != nil {
		t.Fatalf("a refused Create touched another directory: %v", err)
	}
}
