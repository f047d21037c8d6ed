package test

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// bridgeDialHostEnv is newHostEnv with the daemon dialing the host (the
// production direction): the test listens, and every connection the daemon
// makes is accepted by the returned function (closing it is the caller's).
func bridgeDialHostEnv(t *testing.T, runtime string) (*hostEnv, func() net.Conn) {
	t.Helper()
	h, relayPrefix := hostBase(t, runtime)
	dir := h.dir
	testutil.NoLeaks(t, h.root, filepath.Join(h.root, "runtime"))
	hostSock := filepath.Join(dir, "host.sock")
	ln, err := net.Listen("unix", hostSock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accept := func() net.Conn {
		t.Helper()
		ln.(*net.UnixListener).SetDeadline(time.Now().Add(30 * time.Second))
		conn, err := ln.Accept()
		if err != nil {
			t.Fatalf("the daemon did not dial: %v", err)
		}
		return conn
	}
	args := append([]string{"-v4", "-loglevel", "debug", "-bridge", "unix://" + hostSock,
		"-relay", relayPrefix, "-root", h.root, "-runtime", runtime, "-shutdown-action", "exit"}, isolation(t)...)
	h.g = startGCS(t, nil, nil, args...)
	h.c = client.New(accept())
	t.Cleanup(func() { h.c.Close() })
	if _, err := h.c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.checkNoStrays() })
	return h, accept
}

// A WaitForProcess on a container's init survives the host dropping the
// bridge (live migration): the host reconnects and renegotiates, and the
// reply arrives on the new connection under its original ID, followed by
// exactly one exit notification. The init exits either once the host is
// back or while it is away (the reply is then held for it).
func TestBridgeWaitSurvivesReconnect(t *testing.T) {
	rt := testutil.Runtimes(t)[0]
	for _, mode := range []string{"listen", "dial"} {
		for _, exitWhile := range []string{"reconnected", "disconnected"} {
			t.Run(mode+"/exit while "+exitWhile, func(t *testing.T) {
				h, connect := bridgeHostIn(t, mode, rt)
				bridgeWaitAcrossReconnect(t, h, connect, exitWhile == "disconnected")
			})
		}
		t.Run(mode+"/client resumes", func(t *testing.T) {
			h, connect := bridgeHostIn(t, mode, rt)
			bridgeClientWaitAcrossResume(t, h, connect)
		})
	}
}

// bridgeTrackConns returns dial wrapped so that every connection it makes
// is closed after the test's container clean-up (registered later, run
// earlier), which goes through the last of them.
func bridgeTrackConns(t *testing.T, dial func() net.Conn) func() net.Conn {
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return func() net.Conn {
		c := dial()
		conns = append(conns, c)
		return c
	}
}

// bridgeBlockedInit creates a container whose init runs until the file /go
// appears in its rootfs and then exits with 7, starts it, and closes the
// host's first connection.
func bridgeBlockedInit(t *testing.T, h *hostEnv, prefix string) (string, uint32) {
	t.Helper()
	id := h.id(prefix)
	if err := h.create(id, specFor("sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; exit 7")); err != nil {
		t.Fatal(err)
	}
	pid, err := h.startInit(id, h.listenStdio(false, false, false))
	if err != nil {
		t.Fatal(err)
	}
	h.c.Close()
	return id, pid
}

// bridgeTapConn reports the type of every message the client writes.
type bridgeTapConn struct {
	net.Conn
	wrote chan prot.MessageIdentifier
}

func (c *bridgeTapConn) Write(b []byte) (int, error) {
	if h, err := prot.DecodeHeader(b); err == nil {
		select {
		case c.wrote <- h.Type:
		default:
		}
	}
	return c.Conn.Write(b)
}

// bridgeClientWaitAcrossResume is the host as hcsshim's: its Process.Wait
// (a client WaitForProcess) is in flight when the bridge drops inside a
// migration window; the client resumes on a new connection and the wait
// returns the init's exit code, then the exit notification arrives.
func bridgeClientWaitAcrossResume(t *testing.T, h *hostEnv, dial func() net.Conn) {
	connect := bridgeTrackConns(t, dial)
	id, pid := bridgeBlockedInit(t, h, "resume")
	tap := &bridgeTapConn{Conn: connect(), wrote: make(chan prot.MessageIdentifier, 64)}
	c := client.New(tap)
	h.c = c // the clean-up goes through it
	if _, err := c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	c.SetMigrating(true)
	type result struct {
		code uint32
		err  error
	}
	waited := make(chan result, 1)
	go func() {
		code, err := c.WaitForProcess(testCtx(t), id, pid, -1)
		waited <- result{code, err}
	}()
	for typ := range tap.wrote {
		if typ == prot.ComputeSystemWaitForProcessV1 {
			break
		}
	}
	// A round trip behind it: the daemon has read the wait.
	if _, err := c.DumpStacks(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	tap.Conn.Close()
	next := connect()
	if _, err := c.Resume(testCtx(t), next); err != nil {
		t.Fatalf("resume: %v", err)
	}
	c.SetMigrating(false)
	if err := os.WriteFile(filepath.Join(h.bundle(id), "rootfs", "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-waited:
		if r.err != nil || r.code != 7 {
			t.Fatalf("Process.Wait across the resume: %d %v", r.code, r.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Process.Wait never returned")
	}
	select {
	case n := <-c.Notifications():
		if n.ContainerID != id || n.Type != prot.NtUnexpectedExit {
			t.Fatalf("notification %+v", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit notification")
	}
}

// bridgeHostIn returns a host whose daemon listens ("listen") or dials
// ("dial"), and a function that makes the next bridge connection to it.
func bridgeHostIn(t *testing.T, mode, runtime string) (*hostEnv, func() net.Conn) {
	if mode == "dial" {
		return bridgeDialHostEnv(t, runtime)
	}
	h := newHostEnv(t, runtime)
	path := filepath.Join(h.dir, "bridge.sock")
	return h, func() net.Conn {
		conn, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}
}

func bridgeWaitAcrossReconnect(t *testing.T, h *hostEnv, dial func() net.Conn, exitWhileAway bool) {
	const waitID = 1000
	connect := bridgeTrackConns(t, dial)
	id, pid := bridgeBlockedInit(t, h, "migrate")

	// The wait goes out on a connection of its own, which the host drops.
	w := &bridgeWire{t: t, conn: connect()}
	w.negotiate(1)
	body, _ := json.Marshal(&prot.ContainerWaitForProcess{
		MessageBase: prot.MessageBase{ContainerID: id, ActivityID: prot.NullContainerID},
		ProcessID:   pid, TimeoutInMs: 0xffffffff,
	})
	if err := w.send(prot.ComputeSystemWaitForProcessV1, waitID, string(body)); err != nil {
		t.Fatal(err)
	}
	if err := w.send(prot.ComputeSystemDumpStacksV1, 2, `{}`); err != nil {
		t.Fatal(err)
	}
	if h, _, err := w.recv(); err != nil || h.ID != 2 {
		t.Fatalf("DumpStacks behind the wait: %+v %v", h, err)
	}
	w.conn.Close()

	exit := func() {
		if err := os.WriteFile(filepath.Join(h.bundle(id), "rootfs", "go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if exitWhileAway {
		exit()
		bridgeAwaitGone(t, int(h.initPid(id)))
	}
	w = &bridgeWire{t: t, conn: connect()}
	got := w.negotiate(1)
	if !exitWhileAway {
		exit()
	}
	// Everything the daemon sends until the wait reply and the
	// notification, and a little beyond for a second notification.
	var replies, notes int
	for i := 0; replies == 0 || notes == 0; i++ {
		var m bridgeMsg
		if i < len(got) {
			m = got[i]
		} else {
			h, b, err := w.recv()
			if err != nil {
				t.Fatalf("waiting for the wait reply and the notification: %v", err)
			}
			m = bridgeMsg{h, b}
		}
		replies, notes = bridgeCheckMigrated(t, m, id, waitID, replies, notes)
	}
	w.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		h, b, err := prot.ReadMessage(w.conn, prot.MaxOutboundMessageSize)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		bridgeCheckMigrated(t, bridgeMsg{h, b}, id, waitID, replies, notes)
	}
	// The host carries on with the new connection (and cleans up with it).
	w.conn.SetReadDeadline(time.Time{})
	h.c = client.New(w.conn)
	if code, err := h.c.WaitForProcess(testCtx(t), id, pid, time.Minute); err != nil || code != 7 {
		t.Fatalf("wait on the new connection: %d %v", code, err)
	}
}

// bridgeCheckMigrated accounts for one message after the reconnect: the
// wait reply (once, before the notification, exit code 7) or the exit
// notification (once).
func bridgeCheckMigrated(t *testing.T, m bridgeMsg, id string, waitID prot.SequenceID, replies, notes int) (int, int) {
	t.Helper()
	switch {
	case m.h.Type == prot.ComputeSystemResponseWaitForProcessV1:
		var r prot.ContainerWaitForProcessResponse
		if err := json.Unmarshal(m.body, &r); err != nil || m.h.ID != waitID || r.Result != 0 || r.ExitCode != 7 || replies > 0 {
			t.Fatalf("wait reply %d (%d before): %s %v", m.h.ID, replies, m.body, err)
		}
		return replies + 1, notes
	case m.h.Type == prot.ComputeSystemNotificationV1:
		var n prot.ContainerNotification
		if err := json.Unmarshal(m.body, &n); err != nil || n.ContainerID != id {
			t.Fatalf("notification %s %v", m.body, err)
		}
		if replies == 0 || notes > 0 {
			t.Fatalf("notification %d for %s with %d wait replies before it", notes+1, id, replies)
		}
		return replies, notes + 1
	}
	t.Fatalf("unexpected message %+v: %.200s", m.h, m.body)
	return replies, notes
}

// bridgeAwaitGone returns once pid has exited and been reaped.
func bridgeAwaitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || syscall.Kill(pid, 0) != nil || len(b) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("init %d still there", pid)
		}
	}
}
