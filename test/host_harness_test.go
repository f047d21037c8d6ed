package test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/linux-gcs/gcs/internal/transport"
)

// hostEnv is one test's host: a gcs daemon with its own state directory,
// cgroup subtree and relay directory, a client connected to it, and a
// busybox layer to build containers from.
type hostEnv struct {
	t       testing.TB
	g       *gcsProc
	c       *client.Client
	dir     string
	root    string
	runtime string
	relay   transport.RelayListener
	layer   string
	cgroup  string // the daemon's -cgroup-parent ("" when not known)
	notes   chan *prot.ContainerNotification
	ids     atomic.Int64
}

// newHostEnv starts gcs with the given OCI runtime and connects to it.
// After the test it checks that nothing was left behind: mounts under the
// state directory, runtime state, cgroups (testutil.CgroupParent), and the
// daemon's own processes.
func newHostEnv(t testing.TB, runtime string, extra ...string) *hostEnv {
	t.Helper()
	h, relayPrefix := hostBase(t, runtime)
	testutil.NoLeaks(t, h.root, filepath.Join(h.root, "runtime"))
	cg := testutil.CgroupParent(t)
	h.cgroup = cg
	addr := "unix://" + filepath.Join(h.dir, "bridge.sock")
	args := append([]string{"-v4", "-loglevel", "debug", "-listen", "-bridge", addr,
		"-relay", relayPrefix, "-root", h.root, "-runtime", runtime,
		"-cgroup-parent", cg, noFavorDynMods, "-shutdown-action", "exit"}, extra...)
	if os.Getenv("GCS_E2E_RACE") != "" {
		args = append(args, "-gcs-mem-limit-bytes", "0")
	}
	h.g = startGCS(t, nil, nil, args...)
	h.c = dialGCS(t, addr)
	if _, err := h.c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	h.notes = make(chan *prot.ContainerNotification, 1024)
	go func() {
		for n := range h.c.Notifications() {
			h.notes <- n
		}
	}()
	t.Cleanup(func() { h.checkNoStrays() })
	return h
}

// hostBase lays out one test's host without a daemon: its directory, the
// state root, the relay listener (returned with its prefix for -relay) and
// a busybox layer inside the daemon's roots, as a host's layers are.
func hostBase(t testing.TB, runtime string) (*hostEnv, string) {
	t.Helper()
	dir := t.TempDir()
	h := &hostEnv{t: t, dir: dir, root: filepath.Join(dir, "root"), runtime: runtime}
	relayPrefix := "unix://" + filepath.Join(dir, "relay")
	rl, err := transport.ParseRelayListener(relayPrefix)
	if err != nil {
		t.Fatal(err)
	}
	h.relay = rl
	h.layer = testutil.BusyboxRootfsAt(t, filepath.Join(h.root, "layers", "busybox"))
	return h, relayPrefix
}

// checkNoStrays fails the test if the daemon still has child processes
// once every container is gone.
func (h *hostEnv) checkNoStrays() {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", h.g.Pid(), h.g.Pid()))
	if err != nil {
		return // the daemon already exited
	}
	if kids := strings.Fields(string(b)); len(kids) > 0 {
		h.t.Errorf("gcs still has child processes %v", kids)
	}
}

func (h *hostEnv) bundle(id string) string { return filepath.Join(h.root, "c", id) }

// create mounts the busybox layer as id's rootfs and creates the container
// with spec (its root path is filled in). Cleanup deletes the container
// state and unmounts the layers.
func (h *hostEnv) create(id string, spec *oci.Spec) error {
	h.t.Helper()
	return h.createAt(id, h.bundle(id), filepath.Join(h.bundle(id), "scratch"), spec)
}

// createAt is create with the bundle and scratch where the host puts them
// (the rootfs is bundle/rootfs).
func (h *hostEnv) createAt(id, bundle, scratch string, spec *oci.Spec) error {
	h.t.Helper()
	ctx := testCtx(h.t)
	rootfs := filepath.Join(bundle, "rootfs")
	layers := &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeCombinedLayers,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWCombinedLayers{
			ContainerID:       id,
			ContainerRootPath: rootfs,
			Layers:            []prot.Layer{{Path: h.layer}},
			ScratchPath:       scratch,
		},
	}
	if err := h.c.ModifySettings(ctx, prot.NullContainerID, layers); err != nil {
		return fmt.Errorf("add layers: %w", err)
	}
	h.t.Cleanup(func() {
		if h.g.exited() {
			return // the daemon tore everything down itself
		}
		layers.RequestType = prot.RequestTypeRemove
		if err := h.c.ModifySettings(context.Background(), prot.NullContainerID, layers); err != nil {
			h.t.Errorf("remove layers of %s: %v", id, err)
		}
	})
	spec.Root = &oci.Root{Path: rootfs}
	err := h.c.CreateContainer(ctx, id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion:    prot.SchemaVersion{Major: 2, Minor: 1},
		OCIBundlePath:    bundle,
		OCISpecification: spec,
		ScratchDirPath:   scratch,
	})
	if err != nil {
		return err
	}
	h.t.Cleanup(func() {
		if h.g.exited() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		h.c.ShutdownForced(ctx, id)
		deadline := time.Now().Add(20 * time.Second)
		for {
			err := h.c.DeleteContainerState(ctx, id)
			if err == nil || client.HResult(err) == prot.HrVmcomputeSystemNotFound {
				return
			}
			if time.Now().After(deadline) {
				h.t.Errorf("delete %s: %v", id, err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	return nil
}

// streams is the host's side of one process's stdio.
type streams struct {
	settings prot.ExecuteProcessVsockStdioRelaySettings
	in       chan net.Conn
	out      chan net.Conn
	err      chan net.Conn
}

// listenStdio opens a relay port for each requested stream.
func (h *hostEnv) listenStdio(in, out, errS bool) *streams {
	h.t.Helper()
	s := &streams{}
	listen := func(port *uint32) chan net.Conn {
		p, ln, err := h.relay.Listen(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		h.t.Cleanup(func() { ln.Close() })
		*port = p
		ch := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err == nil {
				h.t.Cleanup(func() { c.Close() })
				ch <- c
			}
			close(ch)
		}()
		return ch
	}
	if in {
		s.in = listen(&s.settings.StdIn)
	}
	if out {
		s.out = listen(&s.settings.StdOut)
	}
	if errS {
		s.err = listen(&s.settings.StdErr)
	}
	return s
}

func (h *hostEnv) conn(ch chan net.Conn) net.Conn {
	h.t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			h.t.Fatal("relay connection never came")
		}
		return c
	case <-time.After(20 * time.Second):
		h.t.Fatal("timed out waiting for a relay connection")
	}
	return nil
}

// readAll collects a stream until EOF in the background.
func (h *hostEnv) readAll(ch chan net.Conn) <-chan string {
	out := make(chan string, 1)
	go func() {
		c, ok := <-ch
		if !ok {
			out <- "<no connection>"
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		out <- string(b)
	}()
	return out
}

func (h *hostEnv) params(s *streams) *prot.ProcessParameters {
	return &prot.ProcessParameters{
		CreateStdInPipe:  s.in != nil,
		CreateStdOutPipe: s.out != nil,
		CreateStdErrPipe: s.err != nil,
	}
}

// startInit starts id's init with the given streams.
func (h *hostEnv) startInit(id string, s *streams) (uint32, error) {
	if err := h.c.Start(testCtx(h.t), id); err != nil {
		return 0, err
	}
	return h.c.ExecuteProcess(testCtx(h.t), id, h.params(s), s.settings)
}

// exec runs p in container id with the given streams.
func (h *hostEnv) exec(id string, p *oci.Process, s *streams) (uint32, error) {
	params := h.params(s)
	params.OCIProcess = p
	return h.c.ExecuteProcess(testCtx(h.t), id, params, s.settings)
}

// initPid returns the init pid of a created container, from the pid file
// the runtime wrote in its bundle.
func (h *hostEnv) initPid(id string) uint32 {
	h.t.Helper()
	b, err := os.ReadFile(filepath.Join(h.bundle(id), "init.pid"))
	if err != nil {
		h.t.Fatal(err)
	}
	var pid uint32
	fmt.Sscan(string(b), &pid)
	return pid
}

func (h *hostEnv) wait(id string, pid uint32) uint32 {
	h.t.Helper()
	code, err := h.c.WaitForProcess(testCtx(h.t), id, pid, -1)
	if err != nil {
		h.t.Fatalf("wait %s/%d: %v", id, pid, err)
	}
	return code
}

// notification returns the next notification for id.
func (h *hostEnv) notification(id string) *prot.ContainerNotification {
	h.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case n := <-h.notes:
			if n.ContainerID == id {
				return n
			}
			h.notes <- n // someone else's; keep it
			time.Sleep(time.Millisecond)
		case <-timeout:
			h.t.Fatalf("no notification for %s", id)
			return nil
		}
	}
}

// process is a container exec's process definition.
func process(args ...string) *oci.Process {
	return &oci.Process{
		Args: args,
		Env:  []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"},
		Cwd:  "/",
	}
}

func specFor(args ...string) *oci.Spec { return testutil.Spec("", args...) }

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// forEachRuntime runs f for runc and crun (those installed).
func forEachRuntime(t *testing.T, f func(t *testing.T, runtime string)) {
	for _, rt := range testutil.Runtimes(t) {
		t.Run(filepath.Base(rt), func(t *testing.T) { f(t, rt) })
	}
}

// id returns a container id unique within this host.
func (h *hostEnv) id(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, h.ids.Add(1))
}
