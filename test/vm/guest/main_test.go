package guest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/linux-gcs/gcs/internal/transport"
)

// Environment set by the VM image's init.
const (
	envInVM     = "GCS_VM"         // "1" inside the test VM
	envBridge   = "GCS_VM_BRIDGE"  // where the GCS dials the host
	envRelay    = "GCS_VM_RELAY"   // the GCS's relay prefix
	envControl  = "GCS_VM_CONTROL" // serial port to the host-side runner
	envShutdown = "GCS_VM_SHUTDOWN"
)

// gcsRoot is the GCS's -root in the image: bundles live in gcsRoot/c/ID.
const gcsRoot = "/run/gcs"

// host is the test binary's side of the bridge: the listener the GCS dials,
// the current connection, and the relay ports for stdio and shares.
type host struct {
	ln    *client.Listener
	relay transport.RelayListener

	mu    sync.Mutex
	c     *client.Client
	conns int

	notes chan *prot.ContainerNotification // from every connection, in order
	ids   atomic.Int64
}

var theHost *host

func TestMain(m *testing.M) {
	if os.Getenv(envInVM) == "1" {
		h, err := listen()
		if err != nil {
			fmt.Fprintln(os.Stderr, "guest tests:", err)
			os.Exit(1)
		}
		theHost = h
	}
	code := m.Run()
	if theHost != nil {
		theHost.mu.Lock()
		if theHost.c != nil {
			theHost.c.Close()
		}
		theHost.mu.Unlock()
		theHost.ln.Close()
	}
	os.Exit(code)
}

func listen() (*host, error) {
	bridge, relay := os.Getenv(envBridge), os.Getenv(envRelay)
	if bridge == "" || relay == "" {
		return nil, fmt.Errorf("%s and %s must be set", envBridge, envRelay)
	}
	ln, err := client.Listen(bridge)
	if err != nil {
		return nil, err
	}
	rl, err := transport.ParseRelayListener(relay)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &host{ln: ln, relay: rl, notes: make(chan *prot.ContainerNotification, 1024)}, nil
}

// vm returns the host, skipping the test outside the VM.
func vm(t testing.TB) *host {
	t.Helper()
	if theHost == nil {
		t.Skipf("not inside the test VM (%s=1 is set by its init): run make vm-test", envInVM)
	}
	return theHost
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func testCtx(t testing.TB) context.Context { return ctxFor(t, 60*time.Second) }

// client returns the live bridge connection, waiting for the GCS to dial
// in (and negotiating) when there is none.
func (h *host) client(t testing.TB) *client.Client {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.c != nil {
		select {
		case <-h.c.Done():
			h.c = nil
		default:
			return h.c
		}
	}
	c, err := h.accept(t)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Negotiate(testCtx(t)); err != nil {
		c.Close()
		t.Fatalf("negotiate on connection %d: %v", h.conns, err)
	}
	h.c = c
	return c
}

// accept waits for the GCS's next connection and forwards its
// notifications to h.notes. h.mu must be held.
func (h *host) accept(t testing.TB) (*client.Client, error) {
	c, err := h.ln.Accept(ctxFor(t, 30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("the GCS did not dial in: %w", err)
	}
	h.conns++
	go func() {
		for n := range c.Notifications() {
			h.notes <- n
		}
	}()
	return c, nil
}

// drop closes the bridge connection, as a host that lost it would.
func (h *host) drop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.c != nil {
		h.c.Close()
		h.c = nil
	}
}

// notification returns the next notification for id.
func (h *host) notification(t testing.TB, id string, within time.Duration) *prot.ContainerNotification {
	t.Helper()
	deadline := time.After(within)
	var others []*prot.ContainerNotification
	defer func() {
		for _, n := range others {
			h.notes <- n
		}
	}()
	for {
		select {
		case n := <-h.notes:
			if n.ContainerID == id {
				return n
			}
			others = append(others, n)
		case <-deadline:
			t.Fatalf("no notification for %s within %v", id, within)
			return nil
		}
	}
}

func (h *host) id(prefix string) string { return fmt.Sprintf("%s-%d", prefix, h.ids.Add(1)) }

func bundle(id string) string { return filepath.Join(gcsRoot, "c", id) }

// create builds a busybox rootfs for container id, has the GCS mount it as
// the container's root (CombinedLayers) and creates the container.
// Cleanup kills and deletes the container and unmounts its root.
func (h *host) create(t testing.TB, id string, spec *oci.Spec) {
	t.Helper()
	h.createWithScratch(t, id, spec, filepath.Join(bundle(id), "scratch"))
}

// createWithScratch is create with the overlay's upper and work
// directories in scratch, e.g. on a scratch disk as hcsshim places them.
func (h *host) createWithScratch(t testing.TB, id string, spec *oci.Spec, scratch string) {
	t.Helper()
	c := h.client(t)
	// Layers must be inside the GCS's roots, as the host's are.
	layer := testutil.BusyboxRootfsAt(t, filepath.Join("/run/layers", id))
	t.Cleanup(func() { os.RemoveAll(layer) })
	rootfs := filepath.Join(bundle(id), "rootfs")
	layers := &prot.ModificationRequest{
		ResourceType: prot.ResourceTypeCombinedLayers,
		RequestType:  prot.RequestTypeAdd,
		Settings: &prot.LCOWCombinedLayers{
			ContainerRootPath: rootfs,
			Layers:            []prot.Layer{{Path: layer}},
			ScratchPath:       scratch,
		},
	}
	if err := c.ModifySettings(testCtx(t), prot.NullContainerID, layers); err != nil {
		t.Fatalf("add layers for %s: %v", id, err)
	}
	t.Cleanup(func() {
		layers.RequestType = prot.RequestTypeRemove
		if err := h.client(t).ModifySettings(context.Background(), prot.NullContainerID, layers); err != nil {
			t.Errorf("remove layers of %s: %v", id, err)
		}
	})
	spec.Root = &oci.Root{Path: rootfs}
	err := c.CreateContainer(testCtx(t), id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion:    prot.SchemaVersion{Major: 2, Minor: 1},
		OCIBundlePath:    bundle(id),
		OCISpecification: spec,
		ScratchDirPath:   scratch,
	})
	if err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
	h.deleteOnCleanup(t, id)
}

// deleteOnCleanup kills and deletes container id after the test, unless
// it is gone already.
func (h *host) deleteOnCleanup(t testing.TB, id string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := h.client(t)
		c.ShutdownForced(ctx, id)
		for {
			err := c.DeleteContainerState(ctx, id)
			if err == nil || client.HResult(err) == prot.HrVmcomputeSystemNotFound {
				return
			}
			if ctx.Err() != nil {
				t.Errorf("delete %s: %v", id, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

func specFor(args ...string) *oci.Spec { return testutil.Spec("", args...) }

// process is an exec's process definition.
func process(args ...string) *oci.Process {
	return &oci.Process{Args: args, Env: []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"}, Cwd: "/"}
}

// stdio is the host's side of one process's relayed streams: a vsock
// relay port per requested stream, accepted in the background.
type stdio struct {
	settings      prot.ExecuteProcessVsockStdioRelaySettings
	in, out, errc chan net.Conn
}

func (h *host) stdio(t testing.TB, in, out, errS bool) *stdio {
	t.Helper()
	s := &stdio{}
	listen := func(port *uint32) chan net.Conn {
		p, ln, err := h.relay.Listen(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		*port = p
		ch := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err == nil {
				t.Cleanup(func() { c.Close() })
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
		s.errc = listen(&s.settings.StdErr)
	}
	return s
}

func (s *stdio) params() *prot.ProcessParameters {
	return &prot.ProcessParameters{CreateStdInPipe: s.in != nil, CreateStdOutPipe: s.out != nil, CreateStdErrPipe: s.errc != nil}
}

// conn waits for the GCS to connect a relay stream.
func conn(t testing.TB, ch chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("relay connection never came")
		}
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("timed out waiting for a relay connection")
	}
	return nil
}

// readAll collects a stream until EOF in the background.
func readAll(ch chan net.Conn) <-chan []byte {
	out := make(chan []byte, 1)
	go func() {
		c, ok := <-ch
		if !ok {
			out <- []byte("<no connection>")
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		out <- b
	}()
	return out
}

func recv(t testing.TB, what string, ch <-chan []byte) []byte {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: not complete after 30s", what)
	}
	return nil
}

func (h *host) wait(t testing.TB, id string, pid uint32) uint32 {
	t.Helper()
	code, err := h.client(t).WaitForProcess(testCtx(t), id, pid, -1)
	if err != nil {
		t.Fatalf("wait %s/%d: %v", id, pid, err)
	}
	return code
}

// notYet skips the test when the GCS answers a request with an error saying
// it does not support it yet; the device handlers are being written.
func notYet(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "not supported yet") {
		t.Skipf("not implemented by the GCS yet: %s: %v", what, err)
	}
}

// modify sends a utility-VM ModifySettings, skipping on "not supported yet".
func (h *host) modify(t testing.TB, what string, req *prot.ModificationRequest) {
	t.Helper()
	err := h.client(t).ModifySettings(testCtx(t), prot.NullContainerID, req)
	notYet(t, what, err)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// isMountPoint reports whether path is a mount point in this (the VM's)
// mount namespace.
func isMountPoint(path string) (bool, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && unescapeMount(f[4]) == filepath.Clean(path) {
			return true, nil
		}
	}
	return false, nil
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var errNoControl = errors.New("no control channel")
