package test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The daemon's signal handling and logging, through the real binary.

// README: "SIGTERM and SIGINT stop the daemon cleanly". In -use-inouterr
// mode with the host still holding stdin open (no EOF), SIGTERM must end
// the daemon; the reference dies at once on SIGTERM.
func TestStdioSIGTERMStops(t *testing.T) {
	for _, blocking := range []bool{false, true} {
		name := "nonblocking-stdin"
		if blocking {
			name = "blocking-stdin" // what a shell or the host's process gives
		}
		t.Run(name, func(t *testing.T) {
			var inR, inW *os.File
			if blocking {
				var fds [2]int
				if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
					t.Fatal(err)
				}
				inR, inW = os.NewFile(uintptr(fds[0]), "in-r"), os.NewFile(uintptr(fds[1]), "in-w")
			} else {
				var err error
				if inR, inW, err = os.Pipe(); err != nil {
					t.Fatal(err)
				}
			}
			outR, outW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			args := append([]string{"-v4", "-use-inouterr", "-disable-time-sync",
				"-relay", "unix://" + filepath.Join(dir, "relay"), "-root", filepath.Join(dir, "root")}, isolation(t)...)
			g := startGCS(t, inR, outW, args...)
			inR.Close()
			outW.Close()
			// The host keeps its end of stdin open; no request is needed.
			t.Cleanup(func() { inW.Close(); outR.Close() })
			time.Sleep(1500 * time.Millisecond)
			if g.exited() {
				t.Fatalf("gcs exited early:\n%s", g.log())
			}
			if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for !g.exited() {
				if time.Now().After(deadline) {
					t.Fatalf("gcs -use-inouterr still running 10s after SIGTERM (stdin open, no EOF)")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
