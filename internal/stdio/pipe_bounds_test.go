package stdio

import (
	"context"
	"errors"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestPipeRelayGrandchildHoldsStdout(t *testing.T) {
	checkLeaks(t)
	h := newHost(t)
	c, hc := h.conns(false, true, true)
	r, err := NewPipeRelay(c, PipeOptions{Timeouts: Timeouts{DrainIdle: 200 * time.Millisecond}}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stdin, stdout, stderr := r.ChildIO()
	cmd := startProcess(t, nil, stdin, stdout, stderr, "sh", "-c", "sleep 30 & echo done")
	r.CloseChildEnds()
	r.Start()
	gotOut, gotErr := readAll(hc.stdout), readAll(hc.stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, 3*time.Second, r.Wait)
	if out := string(recv(t, "stdout", gotOut)); out != "done\n" {
		t.Errorf("stdout %q, want %q", out, "done\n")
	}
	recv(t, "stderr", gotErr)
}

func TestPipeRelayStuckHostDoesNotBlockOthers(t *testing.T) {
	checkLeaks(t)
	h := newHost(t)
	c, hc := h.conns(false, true, true)
	tm := Timeouts{DrainMax: 300 * time.Millisecond, HostCloseTimeout: 300 * time.Millisecond}
	r, err := NewPipeRelay(c, PipeOptions{Timeouts: tm}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stdin, stdout, stderr := r.ChildIO()
	// The host never reads stdout: the background head blocks on it, and
	// stderr must flow meanwhile.
	cmd := startProcess(t, nil, stdin, stdout, stderr, "sh", "-c",
		"head -c 16777216 /dev/zero & sleep 0.5; echo early >&2; wait")
	r.CloseChildEnds()
	r.Start()
	buf := make([]byte, 6)
	_ = hc.stderr.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(hc.stderr, buf); err != nil || string(buf) != "early\n" {
		t.Fatalf("stderr while stdout is stuck: %q, %v", buf, err)
	}
	_ = hc.stderr.SetReadDeadline(time.Time{})
	rest := readAll(hc.stderr)
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if took := waitWithin(t, 3*time.Second, r.Wait); took < tm.DrainMax {
		t.Errorf("Wait took %v, less than DrainMax %v: stdout was not stuck", took, tm.DrainMax)
	}
	if got := string(recv(t, "stderr", rest)); got != "" {
		t.Errorf("stderr after kill: %q", got)
	}
}

func TestPipeRelayWaitConcurrentAndIdempotent(t *testing.T) {
	checkLeaks(t)
	h := newHost(t)
	c, hc := h.conns(true, true, true)
	r, err := NewPipeRelay(c, PipeOptions{}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	stdin, stdout, stderr := r.ChildIO()
	cmd := startProcess(t, nil, stdin, stdout, stderr, "echo", "hi")
	r.CloseChildEnds()
	r.Start()
	gotOut, gotErr := readAll(hc.stdout), readAll(hc.stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() { errs <- r.Wait(context.Background()) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Wait: %v", err)
		}
	}
	if err := r.Wait(context.Background()); err != nil {
		t.Errorf("second Wait: %v", err)
	}
	_ = hc.stdin.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := hc.stdin.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("host stdin after Wait: %d, %v; want EOF (closed by Wait)", n, err)
	}
	r.Close()
	r.Close()
	if out := string(recv(t, "stdout", gotOut)); out != "hi\n" {
		t.Errorf("stdout %q", out)
	}
	recv(t, "stderr", gotErr)
}

func TestPipeRelayWaitContextEnds(t *testing.T) {
	checkLeaks(t)
	h := newHost(t)
	c, hc := h.conns(true, true, false)
	r, err := NewPipeRelay(c, PipeOptions{Timeouts: Timeouts{DrainIdle: time.Minute, DrainMax: time.Minute}}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stdin, stdout, stderr := r.ChildIO()
	cmd := startProcess(t, nil, stdin, stdout, stderr, "sh", "-c", "sleep 30 & echo done")
	r.CloseChildEnds()
	r.Start()
	gotOut := readAll(hc.stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = r.Wait(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want deadline exceeded", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Wait took %v after its context ended", took)
	}
	if out := string(recv(t, "stdout", gotOut)); out != "done\n" {
		t.Errorf("stdout %q", out)
	}
}
