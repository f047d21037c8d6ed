package stdio

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"
)

// randomBytes returns n random bytes.
func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPipeRelayProcess(t *testing.T) {
	mib := randomBytes(t, 1<<20)
	tests := []struct {
		name          string
		opts          PipeOptions
		in, out, errS bool   // streams requested
		stdin         []byte // sent, then the host half-closes stdin
		argv          []string
		wantOut       []byte
		wantErr       string
		errSuffix     bool // wantErr need only end stderr
	}{
		{
			name: "1MiB through cat, host half-close ends it",
			in:   true, out: true, errS: true,
			stdin: mib, argv: []string{"cat"}, wantOut: mib,
		},
		{
			name: "stdout and stderr kept apart",
			out:  true, errS: true,
			argv:    []string{"sh", "-c", "echo out; echo err >&2"},
			wantOut: []byte("out\n"), wantErr: "err\n",
		},
		{
			name: "unrequested stdin reads EOF",
			out:  true,
			argv: []string{"sh", "-c", "cat; echo eof"}, wantOut: []byte("eof\n"),
		},
		{
			name:    "unrequested stdout fails with EPIPE",
			errS:    true,
			argv:    []string{"sh", "-c", `trap "" PIPE; echo hi || echo failed >&2`},
			wantErr: "failed\n", errSuffix: true,
		},
		{
			name: "null stdin reads EOF",
			opts: PipeOptions{NullUnrequested: true}, out: true,
			argv: []string{"sh", "-c", "cat; echo eof"}, wantOut: []byte("eof\n"),
		},
		{
			name: "null stdout accepts writes",
			opts: PipeOptions{NullUnrequested: true}, errS: true,
			argv:    []string{"sh", "-c", `trap "" PIPE; echo hi && echo ok >&2`},
			wantErr: "ok\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			h := newHost(t)
			c, hc := h.conns(tt.in, tt.out, tt.errS)
			r, err := NewPipeRelay(c, tt.opts, testLog(t))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			stdin, stdout, stderr := r.ChildIO()
			cmd := startProcess(t, nil, stdin, stdout, stderr, tt.argv...)
			r.CloseChildEnds()
			r.Start()

			gotOut, gotErr := readAll(hc.stdout), readAll(hc.stderr)
			if hc.stdin != nil {
				go func() {
					_, _ = hc.stdin.Write(tt.stdin)
					_ = hc.stdin.(interface{ CloseWrite() error }).CloseWrite()
				}()
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("process: %v", err)
			}
			waitWithin(t, 5*time.Second, r.Wait)
			if out := recv(t, "stdout", gotOut); !bytes.Equal(out, tt.wantOut) {
				t.Errorf("stdout: got %d bytes %.40q, want %d bytes %.40q", len(out), out, len(tt.wantOut), tt.wantOut)
			}
			e := string(recv(t, "stderr", gotErr))
			if (tt.errSuffix && !strings.HasSuffix(e, tt.wantErr)) || (!tt.errSuffix && e != tt.wantErr) {
				t.Errorf("stderr: got %q, want %q", e, tt.wantErr)
			}
		})
	}
}

func TestPipeRelayWaitAfterAllOutputArrived(t *testing.T) {
	checkLeaks(t)
	data := randomBytes(t, 1<<20)
	file := t.TempDir() + "/data"
	if err := writeFile(file, data); err != nil {
		t.Fatal(err)
	}
	h := newHost(t)
	c, hc := h.conns(false, true, false)
	r, err := NewPipeRelay(c, PipeOptions{Timeouts: Timeouts{HostCloseTimeout: time.Minute}}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stdin, stdout, stderr := r.ChildIO()
	cmd := startProcess(t, nil, stdin, stdout, stderr, "cat", file)
	r.CloseChildEnds()
	r.Start()
	slow := readAllAfter(hc.stdout, 300*time.Millisecond) // the process exits with output still buffered
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, 10*time.Second, r.Wait)
	select {
	case got := <-slow:
		if !bytes.Equal(got, data) {
			t.Fatalf("host got %d bytes, want %d identical bytes", len(got), len(data))
		}
	default:
		t.Fatal("Wait returned before the host had read all output")
	}
}
