package runtime

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/reaper"
)

// TestStdio checks that the init or exec'd process gets exactly the IO
// files as fds 0, 1 and 2, and nothing else from the runtime (its log file
// in particular).
func TestStdio(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, e *env) {
		tests := []struct {
			name    string
			exec    bool
			noPivot bool
		}{
			{"create", false, false},
			{"create no-pivot", false, true},
			{"exec", true, false},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				inR, inW := pipe(t)
				outR, outW := pipe(t)
				errR, errW := pipe(t)
				id := "io-" + strconv.Itoa(i)
				stdio := IO{Stdin: inR, Stdout: outW, Stderr: errW}
				script := []string{"sh", "-c", `read line; echo "out:$line"; echo "err:$line" >&2`}
				var pid int
				var exited <-chan reaper.Exit
				if tt.exec {
					c := e.run(t, id, "sleep", "3600")
					var err error
					pid, err = e.rt.Exec(testCtx(t), c.id, e.process(script...), ExecOpts{IO: stdio})
					if err != nil {
						t.Fatalf("Exec: %v", err)
					}
					exited = e.reaper.Subscribe(pid)
				} else {
					c := e.create(t, id, CreateOpts{IO: stdio, NoPivot: tt.noPivot}, script...)
					if err := e.rt.Start(testCtx(t), c.id, c.startOpts()); err != nil {
						t.Fatalf("Start: %v", err)
					}
					pid, exited = c.pid, c.exit
				}
				waitComm(t, pid, "sh")
				checkFds(t, pid, []*os.File{inR, outW, errW})

				// Drop our copies so EOF comes when the init exits.
				inR.Close()
				outW.Close()
				errW.Close()
				if _, err := inW.WriteString("ping\n"); err != nil {
					t.Fatal(err)
				}
				inW.Close()
				if out := readAll(t, outR); out != "out:ping\n" {
					t.Errorf("stdout = %q, want %q", out, "out:ping\n")
				}
				if out := readAll(t, errR); out != "err:ping\n" {
					t.Errorf("stderr = %q, want %q", out, "err:ping\n")
				}
				if x := waitExit(t, "process", exited); x.Code() != 0 {
					t.Errorf("process exit = %s", x)
				}
			})
		}
	})
}

// waitComm waits until process pid runs a command named comm.
func waitComm(t *testing.T, pid int, comm string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
		if err == nil && strings.TrimSpace(string(b)) == comm {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d runs %q, not %q, after 5s (%v)", pid, b, comm, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkFds checks that pid's open fds are exactly want as 0, 1, 2.
func checkFds(t *testing.T, pid int, want []*os.File) {
	t.Helper()
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var fds []string
	for _, en := range entries {
		link, _ := os.Readlink(filepath.Join(dir, en.Name()))
		fds = append(fds, en.Name()+" -> "+link)
	}
	sort.Strings(fds)
	if len(entries) != len(want) {
		t.Errorf("pid %d has fds %v, want exactly 0, 1, 2", pid, fds)
	}
	for n, f := range want {
		got, err := os.Stat(filepath.Join(dir, strconv.Itoa(n)))
		if err != nil {
			t.Errorf("fd %d: %v", n, err)
			continue
		}
		wantInfo, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(got, wantInfo) {
			t.Errorf("fd %d is not the IO file given (fds: %v)", n, fds)
		}
	}
}
