package test

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/linux-gcs/gcs/internal/transport"
)

// bridgeDialHostEnv is newHostEnv with the daemon dialing the host (the
// production direction): the test listens, and every connection the daemon
// makes is accepted by the returned function (closing it is the caller's).
func bridgeDialHostEnv(t *testing.T, runtime string) (*hostEnv, func() net.Conn) {
	t.Helper()
	dir := t.TempDir()
	h := &hostEnv{t: t, dir: dir, root: filepath.Join(dir, "root"), runtime: runtime}
	testutil.NoLeaks(t, h.root, filepath.Join(h.root, "runtime"))
	relayPrefix := "unix://" + filepath.Join(dir, "relay")
	rl, err := transport.ParseRelayListener(relayPrefix)
	if err != nil {
		t.Fatal(err)
	}
	h.relay, h.layer = rl, testutil.BusyboxRootfs(t)
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
				var h *hostEnv
				var connect func() net.Conn
				if mode == "dial" {
					h, connect = bridgeDialHostEnv(t, rt)
				} else {
					h = newHostEnv(t, rt)
					addr := "unix://" + filepath.Join(h.dir, "bridge.sock")
					connect = func() net.Conn {
						conn, err := net.Dial("unix", strings.TrimPrefix(addr, "unix://"))
						if err != nil {
							t.Fatal(err)
						}
						return conn
					}
				}
				bridgeWaitAcrossReconnect(t, h, connect, exitWhile == "disconnected")
			})
		}
	}
}

func bridgeWaitAcrossReconnect(t *testing.T, h *hostEnv, dial func() net.Conn, exitWhileAway bool) {
	const waitID = 1000
	// Connections close after the container's clean-up, which uses the last.
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	connect := func() net.Conn {
		c := dial()
		conns = append(conns, c)
		return c
	}
	id := h.id("migrate")
	if err := h.create(id, specFor("sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; exit 7")); err != nil {
		t.Fatal(err)
	}
	pid, err := h.startInit(id, h.listenStdio(false, false, false))
	if err != nil {
		t.Fatal(err)
	}
	h.c.Close()

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
