package test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/linux-gcs/gcs/internal/transport"
)

// soakStateFSSize is the size of the tmpfs the state root lives on; the
// disk-full fault fills it.
const soakStateFSSize = 64 << 20

// soakEnv is one gcs under soak and the host side of it.
type soakEnv struct {
	t        *testing.T
	cfg      soakConfig
	rt       string
	dir      string // everything of the soak lives below
	fs       string // the tmpfs holding the state root
	root     string // the daemon's -root
	cgParent string
	layer    string
	killed   string // file the runtime wrapper lists killed creates in
	addr     string
	g        *gcsProc
	relay    transport.RelayListener

	mu       sync.Mutex
	c        *client.Client
	conn     *soakConn     // the client's current connection
	newConn  chan struct{} // closed when the next connection is up
	notes    map[string][]prot.NotificationType
	created  map[string]bool
	diskFull bool
	drops    int
	faultLog []string
}

// soakStart starts gcs for runtime rt with the state root on a tmpfs of
// its own and the runtime behind the fault-injecting wrapper.
func soakStart(t *testing.T, cfg soakConfig, rt string) *soakEnv {
	t.Helper()
	dir := t.TempDir()
	e := &soakEnv{t: t, cfg: cfg, rt: rt, dir: dir, fs: filepath.Join(dir, "fs"),
		notes: map[string][]prot.NotificationType{}, created: map[string]bool{}, newConn: make(chan struct{})}
	e.root = filepath.Join(e.fs, "root")
	e.killed = filepath.Join(dir, "killed-creates")
	if err := os.MkdirAll(e.fs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", e.fs, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", soakStateFSSize)); err != nil {
		t.Fatalf("mount the state root's tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(e.fs, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", e.fs, err)
		}
	})
	// Registered after the unmount so that it runs before it.
	testutil.NoLeaks(t, e.root, "")
	real := soakRuntimePath(t, rt)
	runtime := real
	if cfg.faults["runtime-kill"] {
		runtime = soakWrapper(t, dir, real, e.killed)
	}
	e.cgParent = testutil.CgroupParent(t)
	// Layers must lie below the daemon's roots.
	e.layer = testutil.BusyboxRootfsAt(t, filepath.Join(e.root, "layers", "busybox"))
	relayPrefix := "unix://" + filepath.Join(dir, "relay")
	rl, err := transport.ParseRelayListener(relayPrefix)
	if err != nil {
		t.Fatal(err)
	}
	e.relay = rl
	e.addr = "unix://" + filepath.Join(dir, "bridge.sock")
	e.g = startGCS(t, nil, nil, "-v4", "-loglevel", "warning", "-listen", "-bridge", e.addr,
		"-relay", relayPrefix, "-root", e.root, "-runtime", runtime,
		"-cgroup-parent", e.cgParent, noFavorDynMods, "-shutdown-action", "exit")
	if err := e.connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.c.Close()
	})
	return e
}

// soakRuntimePath finds runtime rt (prepared by testutil.Runtimes).
func soakRuntimePath(t *testing.T, rt string) string {
	for _, p := range testutil.Runtimes(t) {
		if filepath.Base(p) == rt || p == rt {
			return p
		}
	}
	t.Skipf("runtime %s is not usable here", rt)
	return ""
}

// connect makes the first connection: a client that, as hcsshim's host,
// keeps its calls across a dropped bridge (SetMigrating), negotiated, its
// notifications counted.
func (e *soakEnv) connect() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := e.dial(ctx)
	if err != nil {
		return err
	}
	c := client.New(conn)
	c.SetMigrating(true)
	if _, err := c.Negotiate(ctx); err != nil {
		c.Close()
		return fmt.Errorf("negotiate: %w", err)
	}
	go func() {
		for n := range c.Notifications() {
			e.mu.Lock()
			e.notes[n.ContainerID] = append(e.notes[n.ContainerID], n.Type)
			e.mu.Unlock()
		}
	}()
	e.mu.Lock()
	e.c, e.conn = c, conn
	e.mu.Unlock()
	return nil
}

// soakConn is the host's end of one bridge connection. eof is closed once
// the client's reader has read everything the daemon wrote on it.
type soakConn struct {
	net.Conn
	eof  chan struct{}
	once sync.Once
}

func (c *soakConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		c.once.Do(func() { close(c.eof) })
	}
	return n, err
}

// dial connects to the daemon, waiting for it to listen (or to be done
// with the previous connection).
func (e *soakEnv) dial(ctx context.Context) (*soakConn, error) {
	a, err := transport.ParseAddr(e.addr)
	if err != nil {
		return nil, err
	}
	for {
		conn, err := transport.Dial(ctx, a)
		if err == nil {
			return &soakConn{Conn: conn, eof: make(chan struct{})}, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to gcs: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client returns the client and the signal of the next connection.
func (e *soakEnv) client() (*client.Client, <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.c, e.newConn
}

// drop ends the bridge under whatever is in flight and reconnects: the
// host stops sending, reads what the daemon had written until the daemon
// closes its end, and resumes the client on a new connection, as hcsshim's
// host does. Calls in flight keep waiting and the daemon answers them on
// the new connection under their original IDs; requests written while the
// bridge was down fail and are retried by do. (A fresh client would be
// handed replies to IDs it never sent, which no host accepts; and bytes
// the daemon delivered that the host itself throws away are not the
// daemon's to recover: the protocol has no acknowledgements.)
func (e *soakEnv) drop() {
	e.mu.Lock()
	old := e.conn
	e.drops++
	e.mu.Unlock()
	if hc, ok := old.Conn.(interface{ CloseWrite() error }); ok {
		if err := hc.CloseWrite(); err == nil {
			select {
			case <-old.eof:
			case <-time.After(30 * time.Second):
				e.t.Errorf("the daemon did not close a bridge the host stopped writing to")
			}
		}
	}
	old.Close()
	if err := e.resume(); err != nil {
		e.t.Errorf("reconnect after a dropped bridge: %v", err)
	}
	e.mu.Lock()
	close(e.newConn)
	e.newConn = make(chan struct{})
	e.mu.Unlock()
}

// resume dials the daemon again and moves the client onto the new
// connection.
func (e *soakEnv) resume() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	for ctx.Err() == nil {
		var conn *soakConn
		if conn, err = e.dial(ctx); err != nil {
			return err
		}
		if _, err = e.c.Resume(ctx, conn); err == nil {
			e.mu.Lock()
			e.conn = conn
			e.mu.Unlock()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("resume: %w", err)
}

// transportFailed reports whether err is the connection failing rather
// than a reply.
func transportFailed(err error) bool {
	var ce *client.Error
	return err != nil && !errors.As(err, &ce) && !errors.Is(err, context.DeadlineExceeded)
}

// do runs op on the current connection. If the connection fails under it
// and retry is set, op runs again on the next one. interrupted reports a
// connection failure, retried or not.
func (e *soakEnv) do(retry bool, op func(context.Context, *client.Client) error) (err error, interrupted bool) {
	for attempt := 0; attempt < 3; attempt++ {
		c, next := e.client()
		ctx, cancel := soakCtx()
		err = op(ctx, c)
		cancel()
		if !transportFailed(err) {
			return err, interrupted
		}
		interrupted = true
		if !retry {
			return err, interrupted
		}
		select {
		case <-next:
		case <-time.After(time.Minute):
			return err, interrupted
		}
	}
	return err, interrupted
}

// cycleDone triggers the faults scheduled by progress: bridge drops at
// regular intervals, and the state root's file system full for a tenth of
// the run.
func (e *soakEnv) cycleDone(i int) {
	n := e.cfg.cycles
	if e.cfg.faults["conn-drop"] && i > 0 && i%max(n/8, 5) == 0 {
		e.drop()
	}
	if e.cfg.faults["disk-full"] {
		switch i {
		case n * 3 / 10:
			e.fill()
		case n * 4 / 10:
			e.unfill()
		}
	}
}

// fill writes to the state root's file system until it is full.
func (e *soakEnv) fill() {
	f, err := os.Create(filepath.Join(e.fs, "filler"))
	if err != nil {
		e.t.Errorf("fill the state root: %v", err)
		return
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	e.mu.Lock()
	e.diskFull = true
	e.mu.Unlock()
}

func (e *soakEnv) unfill() {
	e.mu.Lock()
	e.diskFull = false
	e.mu.Unlock()
	if err := os.Remove(filepath.Join(e.fs, "filler")); err != nil {
		e.t.Errorf("free the state root: %v", err)
	}
}

func (e *soakEnv) isDiskFull() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.diskFull
}

// wasKilled reports whether the runtime wrapper killed the create of id.
func (e *soakEnv) wasKilled(id string) bool {
	b, err := os.ReadFile(e.killed)
	if err != nil {
		return false
	}
	for _, l := range strings.Fields(string(b)) {
		if l == id {
			return true
		}
	}
	return false
}

// awaitNote waits, bounded, for a notification for id.
func (e *soakEnv) awaitNote(id string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		n := len(e.notes[id])
		e.mu.Unlock()
		if n > 0 {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// forgetCounts clears the notifications and containers counted so far
// (those of the warm-up cycle).
func (e *soakEnv) forgetCounts() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notes = map[string][]prot.NotificationType{}
	e.created = map[string]bool{}
}

func (e *soakEnv) markCreated(id string) {
	e.mu.Lock()
	e.created[id] = true
	e.mu.Unlock()
}
