package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/reaper"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// fakeRuntime writes the pid file the way runc does (a hidden temporary
// renamed into place) and a JSON log line, and fails when the container
// id is "bad", or after writing the temporary when it is "half". A fake, because what is tested is the wrapper's files, not
// a runtime: the real runtimes run through the same ScratchDir in every
// other test of this package (newEnv).
const fakeRuntime = `#!/bin/sh
log= pid= id=
while [ $# -gt 0 ]; do
	case "$1" in
	--log) log=$2; shift ;;
	--pid-file) pid=$2; shift ;;
	--root|--log-format|--process|--bundle) shift ;;
	-*) ;;
	*) id=$1 ;;
	esac
	shift
done
if [ "$id" = bad ]; then
	echo '{"level":"error","msg":"container bad: no such thing"}' >> "$log"
	exit 1
fi
if [ "$id" = half ]; then
	echo 4242 > "$(dirname "$pid")/.$(basename "$pid")"
	echo '{"level":"error","msg":"failed half-way"}' >> "$log"
	exit 1
fi
echo '{"level":"info","msg":"fine"}' >> "$log"
if [ -n "$pid" ]; then
	echo 4242 > "$(dirname "$pid")/.$(basename "$pid")"
	mv "$(dirname "$pid")/.$(basename "$pid")" "$pid"
fi
`

// TestScratchDir checks the shared invocation directory: what a previous
// daemon left is removed at first use, each invocation's files are gone
// when it returns, failing or not, and a failure still reads the
// runtime's own message from its log.
func TestScratchDir(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake-runtime")
	if err := os.WriteFile(bin, []byte(fakeRuntime), 0o755); err != nil {
		t.Fatal(err)
	}
	scratchDir := filepath.Join(dir, "scratch")
	if err := os.MkdirAll(scratchDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, stale := range []string{"1-exec.pid", ".1-exec.pid", "1-log.json"} {
		if err := os.WriteFile(filepath.Join(scratchDir, stale), []byte("9"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rp, err := reaper.New(testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	rt := &Runtime{Command: bin, Root: filepath.Join(dir, "state"), Reaper: rp, Log: testutil.Logger(t), ScratchDir: scratchDir}
	ctx := context.Background()
	p := &specs.Process{Args: []string{"true"}, Cwd: "/"}
	empty := func(after string) {
		t.Helper()
		left, err := os.ReadDir(scratchDir)
		if err != nil {
			t.Fatalf("after %s: %v", after, err)
		}
		if len(left) != 0 {
			t.Fatalf("after %s, files left: %v", after, left)
		}
	}
	for i := 0; i < 3; i++ {
		pid, err := rt.Exec(ctx, "good", p, ExecOpts{})
		if err != nil || pid != 4242 {
			t.Fatalf("Exec = %d, %v; want 4242", pid, err)
		}
		empty("exec")
	}
	if _, err := rt.Create(ctx, "good", dir, CreateOpts{}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	empty("create")
	_, err = rt.Exec(ctx, "bad", p, ExecOpts{})
	var rerr *Error
	if !errors.As(err, &rerr) || !strings.Contains(rerr.Message, "no such thing") {
		t.Fatalf("failing Exec = %v, want the runtime's logged message", err)
	}
	empty("a failing exec")
	if _, err := rt.Exec(ctx, "half", p, ExecOpts{}); err == nil {
		t.Fatal("Exec failing half-way succeeded")
	}
	empty("an exec failing half-way")
	if err := rt.Start(ctx, "bad", StartOpts{}); err == nil {
		t.Fatal("failing Start succeeded")
	}
	empty("a failing start")
}

// TestCrunPidFileInMemory: crun writes the pid files of create and exec
// to in-memory files, so the scratch directory is never made.
func TestCrunPidFileInMemory(t *testing.T) {
	var crun string
	for _, path := range testutil.Runtimes(t) {
		if filepath.Base(path) == "crun" {
			crun = path
		}
	}
	if crun == "" {
		t.Skip("crun not available")
	}
	e := newEnv(t, crun)
	c := e.run(t, "memfd", "sleep", "100000")
	if c.pid <= 0 {
		t.Fatalf("create returned pid %d", c.pid)
	}
	pid, err := e.rt.Exec(testCtx(t), "memfd", e.process("true"), ExecOpts{})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if pid <= 0 || pid == c.pid {
		t.Fatalf("Exec returned pid %d (init %d)", pid, c.pid)
	}
	if _, err := os.Stat(e.rt.ScratchDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("scratch directory %s: %v, want it never made", e.rt.ScratchDir, err)
	}
}

// BenchmarkScratch measures the files of one exec without the runtime:
// the process definition and the log as in-memory files, the pid file
// written as the runtime would (runc: a file in a temporary directory per
// invocation or in the shared ScratchDir; crun: the in-memory file opened
// by its /proc/self/fd path), the pid read back, everything removed.
// TMPDIR moves the directories.
func BenchmarkScratch(b *testing.B) {
	for _, mode := range []struct{ name, command, dir string }{
		{"temp-dir-each", "runc", ""},
		{"shared-dir", "runc", filepath.Join(b.TempDir(), "scratch")},
		{"crun-in-memory", "crun", ""},
	} {
		rt := &Runtime{Command: mode.command, ScratchDir: mode.dir}
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				pf, err := rt.newPidFile("", "exec.pid")
				if err != nil {
					b.Fatal(err)
				}
				process, err := memFile("process", []byte("4242"))
				if err != nil {
					b.Fatal(err)
				}
				log, err := memFile("log", nil)
				if err != nil {
					b.Fatal(err)
				}
				path := pf.path
				if pf.mem != nil {
					path = fdPath(int(pf.mem.Fd()))
				}
				if err := os.WriteFile(path, []byte("4242"), 0o600); err != nil {
					b.Fatal(err)
				}
				if _, err := pf.read(); err != nil {
					b.Fatal(err)
				}
				process.Close()
				log.Close()
				pf.release(false)
			}
		})
	}
}
