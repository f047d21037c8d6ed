package guest

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// controlMu serialises requests on the control channel.
var controlMu sync.Mutex

// hostRequest sends one request to the host-side runner (test/vm/vmrun)
// over the control serial port and returns its answer: the runner answers
// every line with one line, "ok ..." or "error ...".
func hostRequest(t testing.TB, req string) string {
	t.Helper()
	controlMu.Lock()
	defer controlMu.Unlock()
	path := os.Getenv(envControl)
	if path == "" {
		t.Fatalf("%v: %s is not set", errNoControl, envControl)
	}
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the control channel: %v", err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%s\n", req); err != nil {
		t.Fatalf("control request %q: %v", req, err)
	}
	answer := make(chan string, 1)
	go func() {
		l, err := bufio.NewReader(f).ReadString('\n')
		if err != nil {
			l = "error reading the answer: " + err.Error()
		}
		answer <- strings.TrimSpace(l)
	}()
	select {
	case a := <-answer:
		return a
	case <-time.After(60 * time.Second):
		t.Fatalf("control request %q: no answer from the host within 60s", req)
	}
	return ""
}
