package stdio

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestPipeRelayUnrequestedEnds(t *testing.T) {
	tests := []struct {
		name    string
		null    bool
		readErr error         // reading the child's stdin
		writeOK bool          // writing the child's stdout and stderr
		writeEr syscall.Errno // otherwise
	}{
		{name: "closed pipes", readErr: io.EOF, writeEr: syscall.EPIPE},
		{name: "dev null", null: true, readErr: io.EOF, writeOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			r, err := NewPipeRelay(Conns{}, PipeOptions{NullUnrequested: tt.null}, testLog(t))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			stdin, stdout, stderr := r.ChildIO()
			if n, err := stdin.Read(make([]byte, 8)); n != 0 || !errors.Is(err, tt.readErr) {
				t.Errorf("read stdin: %d, %v; want 0, %v", n, err, tt.readErr)
			}
			for _, f := range []*os.File{stdout, stderr} {
				_, err := f.Write([]byte("x"))
				if tt.writeOK && err != nil {
					t.Errorf("write %s: %v", f.Name(), err)
				}
				if !tt.writeOK && !errors.Is(err, tt.writeEr) {
					t.Errorf("write %s: %v, want %v", f.Name(), err, tt.writeEr)
				}
			}
			if tt.null {
				null, err := os.Stat(os.DevNull)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range []*os.File{stdin, stdout, stderr} {
					if fi, err := f.Stat(); err != nil || !os.SameFile(fi, null) {
						t.Errorf("%s is not %s (%v)", f.Name(), os.DevNull, err)
					}
				}
			}
			if err := r.Wait(context.Background()); err != nil {
				t.Errorf("Wait without Start: %v", err)
			}
		})
	}
}

func TestPipeRelayCloseWithoutStart(t *testing.T) {
	checkLeaks(t)
	h := newHost(t)
	c, hc := h.conns(true, true, true)
	r, err := NewPipeRelay(c, PipeOptions{}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close()
	r.Start() // no effect after Close
	for _, conn := range []interface{ Read([]byte) (int, error) }{hc.stdin, hc.stdout, hc.stderr} {
		if n, err := conn.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("host read after Close: %d, %v; want EOF", n, err)
		}
	}
	if err := r.Wait(context.Background()); err != nil {
		t.Errorf("Wait after Close: %v", err)
	}
}

func TestPipeRelayHalfClose(t *testing.T) {
	checkLeaks(t)
	h := newHost(t)
	c, hc := h.conns(false, true, false)
	r, err := NewPipeRelay(c, PipeOptions{Timeouts: Timeouts{HostCloseTimeout: time.Minute}}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stdin, stdout, stderr := r.ChildIO()
	cmd := startProcess(t, nil, stdin, stdout, stderr, "echo", "hello")
	r.CloseChildEnds()
	r.Start()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- r.Wait(context.Background()) }()

	got, err := io.ReadAll(hc.stdout) // ends at the relay's half-close
	if err != nil || string(got) != "hello\n" {
		t.Fatalf("host read %q, %v; want %q then EOF", got, err, "hello\n")
	}
	if _, err := hc.stdout.Write([]byte("x")); err != nil {
		t.Fatalf("host write after EOF: %v (the relay closed fully, not half)", err)
	}
	select {
	case err := <-waited:
		t.Fatalf("Wait returned (%v) before the host closed its side", err)
	case <-time.After(100 * time.Millisecond):
	}
	start := time.Now()
	_ = hc.stdout.Close()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after the host closed")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Wait took %v after the host closed", took)
	}
}
