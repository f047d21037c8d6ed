package stdio

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A container's init gets its pipes at create time and the host's
// connections only at start: the process may already hold the pipes.
func TestDeferredPipeRelay(t *testing.T) {
	for _, tc := range []struct {
		name          string
		in, out, errS bool
		argv          []string
		stdin         string
		wantOut       string
		wantErr       string
	}{
		{"all streams", true, true, true, []string{"sh", "-c", "read x; echo out:$x; echo err >&2"}, "hi\n", "out:hi\n", "err\n"},
		{"stdout only: stdin reads EOF", false, true, false, []string{"sh", "-c", "cat; echo eof"}, "", "eof\n", ""},
		{"stderr only: stdout gets EPIPE", false, false, true, []string{"sh", "-c", `trap "" PIPE; echo x || echo failed >&2`}, "", "", "failed\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			r, err := NewDeferredPipeRelay(PipeOptions{}, testLog(t))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			// The host connects only after the pipes exist; like a
			// created init, the process does nothing before that.
			h := newHost(t)
			conns, hc := h.conns(tc.in, tc.out, tc.errS)
			if err := r.Attach(conns); err != nil {
				t.Fatal(err)
			}
			if err := r.Attach(conns); err == nil {
				t.Fatal("second Attach accepted")
			}
			in, out, errf := r.ChildIO()
			cmd := startProcess(t, nil, in, out, errf, tc.argv...)
			r.CloseChildEnds()
			r.Start()
			if hc.stdin != nil {
				hc.stdin.Write([]byte(tc.stdin))
				_ = hc.stdin.(interface{ CloseWrite() error }).CloseWrite()
			}
			outc, errc := readAll(hc.stdout), readAll(hc.stderr)
			cmd.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := r.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			if got := string(recv(t, "stdout", outc)); got != tc.wantOut {
				t.Errorf("stdout %q, want %q", got, tc.wantOut)
			}
			// A shell may print its own complaint about EPIPE first.
			if got := string(recv(t, "stderr", errc)); !strings.HasSuffix(got, tc.wantErr) || (tc.wantErr == "" && got != "") {
				t.Errorf("stderr %q, want %q", got, tc.wantErr)
			}
		})
	}
}

func TestAttachRefusedOnImmediateRelay(t *testing.T) {
	r, err := NewPipeRelay(Conns{}, PipeOptions{NullUnrequested: true}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Attach(Conns{}); err == nil {
		t.Fatal("Attach accepted on a relay made with its connections")
	}
}
