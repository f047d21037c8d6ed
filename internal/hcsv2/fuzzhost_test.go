package hcsv2

// The handler fuzz harness: a real Host (temporary state root, real reaper,
// real cgroup manager in its own subtree, real network and device code
// pointed at empty sysfs and /dev trees) behind the real Mux and the real
// bridge Server, reached over a socket pair exactly as the host reaches
// the daemon. Only the OCI runtime is faked (see fakeruntime_test.go), and
// utility-VM processes run /bin/true whatever the body asks for, since a
// fuzzer must not run arbitrary commands as root.

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/bridge"
	"github.com/linux-gcs/gcs/internal/cgroup"
	"github.com/linux-gcs/gcs/internal/network"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/runtime"
	"github.com/linux-gcs/gcs/internal/storage/scsi"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/linux-gcs/gcs/internal/transport"
)

// fuzzCallTimeout bounds every request of a fuzz input: a handler that has
// not replied and returned by then hangs.
const fuzzCallTimeout = 60 * time.Second

// fuzzRelayPorts are the stdio relay ports the harness answers on; any
// other port refuses the connection.
var fuzzRelayPorts = []uint32{1, 2, 3}

// handlerRun is what the harness saw of one request.
type handlerRun struct {
	replies  int    // calls to Respond or Error
	panicked any    // the handler's panic, if any
	stack    string // where it panicked
}

// fuzzHost is one Host served over one bridge connection at a time.
type fuzzHost struct {
	tb    testing.TB
	root  string // temporary directory everything lives under
	state string // the Host's state root
	host  *Host
	srv   *bridge.Server
	log   *logrus.Entry

	ctx    context.Context
	cancel context.CancelFunc
	served chan error

	mu      sync.Mutex
	conn    net.Conn
	seq     prot.SequenceID
	replies map[prot.SequenceID]chan []byte
	runs    map[prot.SequenceID]chan handlerRun
	notes   int

	fixture    *Container // the standing container (see fuzz_test.go)
	fixturePid uint32
}

// newFuzzHost builds the harness and registers its teardown.
func newFuzzHost(tb testing.TB) *fuzzHost {
	tb.Helper()
	root, err := os.MkdirTemp("", filepath.Base(fuzzRootPrefix()))
	if err != nil {
		tb.Fatal(err)
	}
	fh := &fuzzHost{tb: tb, root: root, state: filepath.Join(root, "gcs"),
		replies: map[prot.SequenceID]chan []byte{}, runs: map[prot.SequenceID]chan handlerRun{}}
	tb.Cleanup(fh.removeRoot)
	for _, d := range []string{fh.state, filepath.Join(root, "layers", "l0"), filepath.Join(root, "layers", "l1"),
		filepath.Join(root, "mounts"), filepath.Join(root, "sys"), filepath.Join(root, "dev"), filepath.Join(root, "relay")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	fh.log = logrus.NewEntry(logger)

	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	fakeRT := filepath.Join(root, fakeRuntimeName)
	if err := os.Symlink(self, fakeRT); err != nil {
		tb.Fatal(err)
	}
	rp, err := reaper.New(fh.log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rp.Close() })
	cg, err := cgroup.New(cgroup.Options{Parent: testutil.CgroupParent(tb), Log: fh.log})
	if err != nil {
		tb.Fatalf("cgroups: %v", err)
	}
	tb.Cleanup(func() { cg.Close() })
	relay, err := transport.ParseRelay("unix://" + filepath.Join(root, "relay"))
	if err != nil {
		tb.Fatal(err)
	}
	fh.serveRelay(tb)
	allowed := []string{fh.state, filepath.Join(root, "mounts"), filepath.Join(root, "layers")}
	sys, dev := filepath.Join(root, "sys"), filepath.Join(root, "dev")
	fh.host = NewHost(Options{
		Root:    fh.state,
		Runtime: &runtime.Runtime{Command: fakeRT, Root: filepath.Join(fh.state, "runtime"), Reaper: rp, Log: fh.log},
		Reaper:  rp,
		Cgroups: cg,
		Network: network.New(network.Options{SysRoot: sys, LookupTimeout: 50 * time.Millisecond, Log: fh.log}),
		Devices: Devices{
			SCSI: &scsi.Mounter{
				Lookup:       scsi.Lookup{SysRoot: sys, DevRoot: dev, Timeout: 50 * time.Millisecond},
				AllowedRoots: allowed,
				Run:          rp.CombinedOutput,
				Log:          fh.log,
			},
			AllowedRoots: allowed,
			PmemDevRoot:  dev,
			SysRoot:      sys,
			VPCITimeout:  50 * time.Millisecond,
		},
		Relay: relay,
		Notify: func(n *prot.ContainerNotification) error {
			return fh.srv.Notify(n)
		},
		Spawn: harmlessUVMProcess,
		Log:   fh.log,
	})
	mux := bridge.NewMux()
	mux.Handle(prot.ComputeSystemNegotiateProtocolV1, prot.PvInvalid, bridge.Negotiate(prot.LinuxCapabilities()))
	mux.Handle(prot.ComputeSystemDumpStacksV1, prot.PvV4, bridge.DumpStacks())
	fh.host.Register(mux)
	fh.srv = bridge.NewServer(bridge.Options{Handler: fh.watch(mux), Log: fh.log})
	fh.ctx, fh.cancel = context.WithCancel(context.Background())
	tb.Cleanup(fh.close)
	fh.connect(tb, true)
	return fh
}

// fuzzRootPrefix begins the path of every harness root.
func fuzzRootPrefix() string { return filepath.Join(os.TempDir(), "gcs-hcsv2-fuzz-") }

// harmlessUVMProcess replaces whatever a utility-VM process would run
// with /bin/true before it starts.
func harmlessUVMProcess(cmd *exec.Cmd, start func() (int, error)) error {
	cmd.Path, cmd.Args = "/bin/true", []string{"true"}
	_, err := start()
	return err
}

// serveRelay answers the relay ports: input gets an immediate end of file
// and output is drained.
func (fh *fuzzHost) serveRelay(tb testing.TB) {
	for _, port := range fuzzRelayPorts {
		ln, err := net.Listen("unix", filepath.Join(fh.root, "relay", strconv.Itoa(int(port))+".sock"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					_ = c.(*net.UnixConn).CloseWrite()
					_, _ = io.Copy(io.Discard, c)
				}()
			}
		}()
	}
}

// watch wraps the mux to count each handler's replies and catch its panic
// before the bridge turns it into an error reply.
func (fh *fuzzHost) watch(next bridge.Handler) bridge.Handler {
	return bridge.HandlerFunc(func(ctx context.Context, w bridge.ResponseWriter, r *bridge.Request) {
		cw := &countingWriter{ResponseWriter: w}
		defer func() {
			run := handlerRun{panicked: recover()}
			if run.panicked != nil {
				run.stack = stackOf()
				cw.Error(prot.Errorf(prot.HrFail, "handler panicked"))
			}
			run.replies = cw.count()
			fh.mu.Lock()
			ch := fh.runs[r.Header.ID]
			fh.mu.Unlock()
			if ch != nil {
				ch <- run
			}
		}()
		next.ServeMsg(ctx, cw, r)
	})
}

// countingWriter counts the calls a handler makes to its ResponseWriter.
type countingWriter struct {
	bridge.ResponseWriter
	mu sync.Mutex
	n  int
}

func (w *countingWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (w *countingWriter) add() {
	w.mu.Lock()
	w.n++
	w.mu.Unlock()
}

func (w *countingWriter) Respond(resp prot.Response) { w.add(); w.ResponseWriter.Respond(resp) }
func (w *countingWriter) Error(err error)            { w.add(); w.ResponseWriter.Error(err) }

// connect serves a new connection (ending the current one) and, with
// negotiate, negotiates protocol v4 on it.
func (fh *fuzzHost) connect(tb testing.TB, negotiate bool) {
	tb.Helper()
	fh.disconnect(tb)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	ours, err := fileConn(fds[0])
	if err != nil {
		tb.Fatal(err)
	}
	theirs, err := fileConn(fds[1])
	if err != nil {
		tb.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- fh.srv.ServeConn(fh.ctx, theirs) }()
	fh.mu.Lock()
	fh.conn, fh.served = ours, served
	fh.mu.Unlock()
	go fh.read(ours)
	if negotiate {
		ex := fh.call(tb, prot.ComputeSystemNegotiateProtocolV1, []byte(`{"MaximumVersion":4,"MinimumVersion":4}`))
		if ex.resp.Result != 0 {
			tb.Fatalf("negotiate: %+v", ex.resp)
		}
	}
}

func fileConn(fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "socketpair")
	defer f.Close()
	return net.FileConn(f)
}

// disconnect ends the current connection and waits until the server has.
func (fh *fuzzHost) disconnect(tb testing.TB) {
	fh.mu.Lock()
	conn, served := fh.conn, fh.served
	fh.conn = nil
	fh.mu.Unlock()
	if conn == nil {
		return
	}
	conn.Close()
	select {
	case <-served:
	case <-time.After(fuzzCallTimeout):
		tb.Fatalf("bridge connection not released within %v", fuzzCallTimeout)
	}
}

// read delivers replies to their callers and counts notifications.
func (fh *fuzzHost) read(conn net.Conn) {
	for {
		h, body, err := prot.ReadMessage(conn, prot.MaxOutboundMessageSize)
		if err != nil {
			return
		}
		fh.mu.Lock()
		if h.Type.Type() == prot.MtNotification {
			fh.notes++
		} else if ch := fh.replies[h.ID]; ch != nil {
			ch <- append([]byte(nil), body...)
			delete(fh.replies, h.ID)
		}
		fh.mu.Unlock()
	}
}

// close ends the connection and tears the Host down.
func (fh *fuzzHost) close() {
	fh.disconnect(fh.tb)
	fh.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), fuzzCallTimeout)
	defer cancel()
	if err := fh.host.Close(ctx); err != nil {
		fh.tb.Logf("tear down host: %v", err)
	}
	fh.srv.Wait()
}

// removeRoot unmounts whatever the inputs left mounted under the root and
// removes it.
func (fh *fuzzHost) removeRoot() {
	if err := unmountUsing(fh.root); err != nil {
		fh.tb.Errorf("unmount under the fuzz root: %v", err)
	}
	if err := os.RemoveAll(fh.root); err != nil {
		fh.tb.Errorf("remove fuzz root: %v", err)
	}
}
