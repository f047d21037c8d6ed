package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
)

// transports returns a fresh daemon and a client over each bridge
// transport the daemon offers on this machine (vsock is covered in the VM).
func transports() map[string]func(t *testing.T) (*gcsProc, *client.Client) {
	return map[string]func(t *testing.T) (*gcsProc, *client.Client){
		"unix": func(t *testing.T) (*gcsProc, *client.Client) {
			g, addr := listenGCS(t)
			return g, dialGCS(t, addr)
		},
		"stdio": func(t *testing.T) (*gcsProc, *client.Client) { return stdioGCS(t) },
	}
}

// rawResult sends body as typ and returns the reply's header and base.
func rawResult(t *testing.T, c *client.Client, typ prot.MessageIdentifier, body string) (prot.MessageHeader, prot.MessageResponseBase) {
	t.Helper()
	h, b, err := c.Raw(testCtx(t), typ, []byte(body))
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	var base prot.MessageResponseBase
	if err := json.Unmarshal(b, &base); err != nil {
		t.Fatalf("%s: reply %q: %v", typ, b, err)
	}
	return h, base
}

func TestBridgeDecidedReplies(t *testing.T) {
	const a = `"ActivityId":"0f0e0d0c-0000-4000-8000-00000000abcd"`
	steps := []struct {
		name string
		typ  prot.MessageIdentifier
		body string
		want prot.HResult
	}{
		{"dumpstacks before negotiation", prot.ComputeSystemDumpStacksV1, `{` + a + `}`, prot.HrNotImpl},
		{"create before negotiation", prot.ComputeSystemCreateV1, `{` + a + `}`, prot.HrNotImpl},
		{"malformed negotiate", prot.ComputeSystemNegotiateProtocolV1, `{"MinimumVersion": 4,`, prot.HrVmcomputeInvalidJSON},
		{"empty negotiate", prot.ComputeSystemNegotiateProtocolV1, ``, prot.HrVmcomputeInvalidJSON},
		{"v3 only", prot.ComputeSystemNegotiateProtocolV1, `{` + a + `,"MinimumVersion":3,"MaximumVersion":3}`, prot.HrVmcomputeUnsupportedProt},
		{"negotiate", prot.ComputeSystemNegotiateProtocolV1, `{"ContainerId":"",` + a + `,"MinimumVersion":4,"MaximumVersion":4}` + "\n", prot.HrOK},
		{"negotiate again", prot.ComputeSystemNegotiateProtocolV1, `{` + a + `,"MinimumVersion":4,"MaximumVersion":4}`, prot.HrNotImpl},
		{"dumpstacks", prot.ComputeSystemDumpStacksV1, `{` + a + `}`, prot.HrOK},
		{"dumpstacks malformed body", prot.ComputeSystemDumpStacksV1, `{"ContainerId": "abc", not json`, prot.HrOK},
		{"dumpstacks empty body", prot.ComputeSystemDumpStacksV1, ``, prot.HrOK},
		{"UpdateContainer", prot.ComputeSystemUpdateContainerV1, `{` + a + `}`, prot.HrNotImpl},
		{"LifecycleNotification", prot.ComputeSystemLifecycleNotificationV1, `{` + a + `}`, prot.HrNotImpl},
		{"compute service ModifySettings", prot.ComputeServiceModifySettingsV1, `{` + a + `}`, prot.HrNotImpl},
		{"garbage type", 0x10abc001, `{` + a + `}`, prot.HrNotImpl},
		{"version byte 2", 0x10100902, `{` + a + `}`, prot.HrNotImpl},
		{"response type sent to the guest", prot.ComputeSystemResponseDumpStacksV1, `{}`, prot.HrNotImpl},
		{"notification type sent to the guest", prot.ComputeSystemNotificationV1, `{}`, prot.HrNotImpl},
		{"type zero", 0, `{}`, prot.HrNotImpl},
	}
	for name, start := range transports() {
		t.Run(name, func(t *testing.T) {
			_, c := start(t)
			for _, st := range steps {
				h, base := rawResult(t, c, st.typ, st.body)
				if got := prot.HResult(base.Result); got != st.want {
					t.Errorf("%s: Result %s (%q), want %s", st.name, got, base.ErrorMessage, st.want)
				}
				if h.Type != prot.ResponseIdentifier(st.typ) {
					t.Errorf("%s: reply type %#x, want %#x", st.name, uint32(h.Type), uint32(prot.ResponseIdentifier(st.typ)))
				}
				if strings.Contains(st.body, a) && base.ActivityID != "0f0e0d0c-0000-4000-8000-00000000abcd" {
					t.Errorf("%s: ActivityId %q not echoed", st.name, base.ActivityID)
				}
				if st.want != prot.HrOK && (len(base.ErrorRecords) != 1 || base.ErrorRecords[0].ModuleName != "gcs") {
					t.Errorf("%s: ErrorRecords %+v", st.name, base.ErrorRecords)
				}
			}
		})
	}
}

func TestNegotiateMatchesReference(t *testing.T) {
	for name, start := range transports() {
		t.Run(name, func(t *testing.T) {
			_, c := start(t)
			resp, err := c.Negotiate(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			want := prot.LinuxCapabilities()
			got, _ := json.Marshal(resp.Capabilities)
			exp, _ := json.Marshal(want)
			if resp.Version != 4 || string(got) != string(exp) {
				t.Fatalf("negotiated %d %s, want 4 %s", resp.Version, got, exp)
			}
			stacks, err := c.DumpStacks(testCtx(t))
			if err != nil || !strings.Contains(stacks, "goroutine") {
				t.Fatalf("DumpStacks: %v %.80q", err, stacks)
			}
		})
	}
}

func TestWithoutV4EverythingIsNotImplemented(t *testing.T) {
	dir := t.TempDir()
	addr := "unix://" + filepath.Join(dir, "b.sock")
	startGCS(t, nil, nil, append([]string{"-listen", "-bridge", addr, "-relay", "unix://" + dir, "-root", filepath.Join(dir, "root")}, isolation(t)...)...)
	c := dialGCS(t, addr)
	if _, err := c.Negotiate(testCtx(t)); client.HResult(err) != prot.HrNotImpl {
		t.Fatalf("negotiate without -v4: %v, want E_NOTIMPL", err)
	}
}

// rawConn dials the daemon's unix socket without the client, to send
// malformed framing.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("unix", strings.TrimPrefix(addr, "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestFramingErrorsDropConnectionWithoutGrowth(t *testing.T) {
	g, addr := listenGCS(t, "-max-message-size", "1048576")
	c := dialGCS(t, addr)
	if _, err := c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	before := g.rssKiB(t)
	bad := []uint32{0, 8, 15, 1<<20 + 1, 1 << 30, 0xffffffff}
	for round := 0; round < 10; round++ {
		for _, size := range bad {
			conn := rawConn(t, addr)
			var hb [prot.MessageHeaderSize]byte
			prot.MessageHeader{Type: prot.ComputeSystemNegotiateProtocolV1, Size: size, ID: 1}.Encode(hb[:])
			if _, err := conn.Write(hb[:]); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			var buf [1]byte
			n, err := conn.Read(buf[:])
			var ne net.Error
			if n != 0 || err == nil || (errors.As(err, &ne) && ne.Timeout()) {
				t.Fatalf("size %d: connection not dropped (read %d, %v)", size, n, err)
			}
			conn.Close()
		}
	}
	// A fresh connection is served normally.
	c2 := dialGCS(t, addr)
	if _, err := c2.Negotiate(testCtx(t)); err != nil {
		t.Fatalf("negotiate after framing errors: %v", err)
	}
	if _, err := c2.DumpStacks(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	after := g.rssKiB(t)
	t.Logf("RSS before %d KiB, after %d KiB", before, after)
	if os.Getenv("GCS_E2E_RACE") != "" {
		return // the race detector's own memory use makes the bound meaningless
	}
	if after-before > 8*1024 {
		t.Fatalf("RSS grew by %d KiB after framing errors", after-before)
	}
	if !strings.Contains(g.log(), "bad message framing") {
		t.Errorf("framing errors not logged")
	}
}

func TestStdinEOFStopsDaemonCleanly(t *testing.T) {
	g, c := stdioGCS(t)
	if _, err := c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := g.wait(t, 10*time.Second); err != nil {
		t.Fatalf("gcs exit after stdin EOF: %v", err)
	}
}

func TestSIGTERMStopsDaemonCleanly(t *testing.T) {
	g, addr := listenGCS(t)
	c := dialGCS(t, addr)
	if _, err := c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	g.cmd.Process.Signal(syscall.SIGTERM)
	if err := g.wait(t, 10*time.Second); err != nil {
		t.Fatalf("gcs exit after SIGTERM: %v", err)
	}
}

func TestTenThousandRequestsInFlight(t *testing.T) {
	const total, inFlight = 10000, 256
	for name, start := range transports() {
		t.Run(name, func(t *testing.T) {
			_, c := start(t)
			if _, err := c.Negotiate(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			ctx := testCtx(t)
			var wg sync.WaitGroup
			errs := make(chan error, inFlight)
			next := make(chan int, total)
			for i := 0; i < total; i++ {
				next <- i
			}
			close(next)
			for w := 0; w < inFlight; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						act := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
						_, b, err := c.Raw(ctx, prot.ComputeSystemStartV1, []byte(`{"ContainerId":"c","ActivityId":"`+act+`"}`))
						if err != nil {
							errs <- err
							return
						}
						var base prot.MessageResponseBase
						if err := json.Unmarshal(b, &base); err != nil || base.ActivityID != act {
							errs <- fmt.Errorf("request %d answered with %s", i, b)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		})
	}
}

func TestDialModeRedialsAfterDrop(t *testing.T) {
	dir := t.TempDir()
	addr := "unix://" + filepath.Join(dir, "host.sock")
	ln, err := client.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	startGCS(t, nil, nil, append([]string{"-v4", "-bridge", addr, "-relay", "unix://" + dir, "-root", filepath.Join(dir, "root")}, isolation(t)...)...)
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := ln.Accept(ctx)
		cancel()
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if _, err := c.Negotiate(testCtx(t)); err != nil {
			t.Fatalf("connection %d negotiate: %v", i, err)
		}
		c.Close()
	}
}
