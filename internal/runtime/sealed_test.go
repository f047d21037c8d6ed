package runtime

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestSealedCopy: with SealedCopy the runtime is executed from a sealed
// in-memory copy (the path it sees as its own is this process's
// descriptor of the copy, sealed as runc and crun expect), under its own
// name as argv[0]; after Close, from its file again; without SealedCopy,
// always from its file.
func TestSealedCopy(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake-runtime")
	out := filepath.Join(dir, "invoked-as")
	// $0 is the path the kernel executed the script from.
	script := "#!/bin/sh\necho \"$0\" > " + out + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	rp, err := reaper.New(testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	invokedAs := func(rt *Runtime) string {
		t.Helper()
		if err := rt.Kill(context.Background(), "c", unix.SIGTERM, false); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	for _, tt := range []struct {
		name   string
		sealed bool
	}{{"sealed copy", true}, {"own file", false}} {
		t.Run(tt.name, func(t *testing.T) {
			rt := &Runtime{Command: bin, Reaper: rp, Log: testutil.Logger(t), SealedCopy: tt.sealed}
			got := invokedAs(rt)
			if !tt.sealed {
				if got != bin {
					t.Errorf("executed from %s, want %s", got, bin)
				}
				return
			}
			if got == bin || rt.sealed == nil || got != rt.sealedPath {
				t.Fatalf("executed from %s, want the sealed copy (%s)", got, rt.sealedPath)
			}
			seals, err := unix.FcntlInt(rt.sealed.Fd(), unix.F_GET_SEALS, 0)
			if err != nil || seals != sealedSeals {
				t.Errorf("seals of the copy = %#x, %v; want %#x", seals, err, sealedSeals)
			}
			if args := rt.cmd([]string{"x"}).Args; args[0] != bin {
				t.Errorf("argv[0] = %q, want %q", args[0], bin)
			}
			if err := rt.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := invokedAs(rt); got != bin {
				t.Errorf("after Close executed from %s, want %s", got, bin)
			}
		})
	}
}

// TestSealedCopyRealRuntimes: runc and crun run containers and execs from
// their sealed copies.
func TestSealedCopyRealRuntimes(t *testing.T) {
	for _, path := range testutil.Runtimes(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			e := newEnv(t, path)
			e.rt.SealedCopy = true
			t.Cleanup(func() { e.rt.Close() })
			c := e.run(t, "sealed", "sleep", "100000")
			hold := e.reaper.Hold()
			defer hold.Release()
			pid, err := e.rt.Exec(testCtx(t), c.id, e.process("true"), ExecOpts{})
			if err != nil {
				t.Fatalf("Exec: %v", err)
			}
			p, err := hold.Track(pid)
			if err != nil {
				t.Fatal(err)
			}
			hold.Release()
			if x := <-p.Exit(); x.Code() != 0 {
				t.Fatalf("exec exited with %s", x)
			}
			if e.rt.sealed == nil {
				t.Fatal("no sealed copy was made")
			}
		})
	}
}

// TestPrepare: Prepare makes the sealed copy before any invocation when
// SealedCopy asks for one, and nothing otherwise.
func TestPrepare(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "fake-runtime")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sealed := range []bool{true, false} {
		rt := &Runtime{Command: bin, Log: testutil.Logger(t), SealedCopy: sealed}
		rt.Prepare()
		if got := rt.sealed != nil; got != sealed {
			t.Errorf("SealedCopy %v: copy made by Prepare = %v", sealed, got)
		}
		if sealed && rt.binary() != rt.sealedPath {
			t.Errorf("after Prepare the runtime runs from %s, want its copy %s", rt.binary(), rt.sealedPath)
		}
		if err := rt.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
