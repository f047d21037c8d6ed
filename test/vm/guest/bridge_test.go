package guest

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// TestNegotiate: the GCS dials the "host" over AF_VSOCK loopback and
// negotiates protocol 4 with the reference's capabilities.
func TestNegotiate(t *testing.T) {
	h := vm(t)
	c := h.client(t) // accepts and negotiates
	resp, err := c.Negotiate(testCtx(t))
	if err == nil {
		t.Fatalf("a second negotiation on the same connection succeeded: %+v", resp)
	}
	h.drop()
	// A fresh connection, negotiated by hand this time.
	h.mu.Lock()
	c, err = h.accept(t)
	h.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	resp, err = c.Negotiate(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(resp.Capabilities)
	want, _ := json.Marshal(prot.LinuxCapabilities())
	if resp.Version != 4 || string(got) != string(want) {
		t.Errorf("negotiated version %d capabilities %s, want 4 %s", resp.Version, got, want)
	}
	stacks, err := c.DumpStacks(testCtx(t))
	if err != nil || !strings.Contains(stacks, "goroutine") {
		t.Errorf("DumpStacks: %v %.80q", err, stacks)
	}
	h.mu.Lock()
	h.c = c
	h.mu.Unlock()
}

// TestUtilityVMProcess runs a process in the VM itself (the null
// container) with its stdout relayed over vsock.
func TestUtilityVMProcess(t *testing.T) {
	h := vm(t)
	c := h.client(t)
	s := h.stdio(t, false, true, false)
	pid, err := c.ExecuteProcess(testCtx(t), prot.NullContainerID, &prot.ProcessParameters{
		CommandArgs:      []string{"/bin/sh", "-c", `echo "pid 1 is $(cat /proc/1/comm), I am $(cat /proc/self/comm)"; exit 4`},
		Environment:      map[string]string{"PATH": "/usr/bin:/bin"},
		CreateStdOutPipe: true,
	}, s.settings)
	if err != nil {
		t.Fatal(err)
	}
	out := readAll(s.out)
	if code := h.wait(t, prot.NullContainerID, pid); code != 4 {
		t.Errorf("exit code %d, want 4", code)
	}
	if got := string(recv(t, "stdout", out)); got != "pid 1 is init, I am cat\n" {
		t.Errorf("stdout %q", got)
	}
	if _, err := os.Stat("/proc/1/comm"); err != nil {
		t.Fatal(err)
	}
}
