package runtime

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/reaper"
)

// BenchmarkInvocation measures the wrapper's own cost per runtime call:
// `list` through Runtime (scratch directory, log file, reaper) against the
// same command run directly with os/exec.
func BenchmarkInvocation(b *testing.B) {
	bin, err := exec.LookPath("runc")
	if err != nil {
		b.Skip("runc not installed")
	}
	root := b.TempDir()
	rp, err := reaper.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer rp.Close()
	rt := &Runtime{Command: bin, Root: root, Reaper: rp}
	b.Run("runtime", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := rt.List(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reaper-with-log-flags", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := rp.Output(exec.Command(bin, "--root", root, "--log", root+"/log.json", "--log-format", "json", "list", "--format", "json")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reaper-only", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := rp.Output(exec.Command(bin, "--root", root, "list", "--format", "json")); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWrapper measures the wrapper's fixed cost per invocation with a
// runtime that does nothing (/bin/true), so that the runtime's own work
// does not hide it: Start and Exec through Runtime, with a temporary
// directory per invocation or the shared ScratchDir, against the same
// binary run by the reaper alone (the floor). The test binary's
// temporary directory is where the files go: TMPDIR moves it.
func BenchmarkWrapper(b *testing.B) {
	bin, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true binary")
	}
	rp, err := reaper.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer rp.Close()
	pidFile := filepath.Join(b.TempDir(), "pid")
	if err := os.WriteFile(pidFile, []byte("1"), 0o600); err != nil {
		b.Fatal(err)
	}
	p := &specs.Process{Args: []string{"/bin/true"}, Cwd: "/"}
	for _, mode := range []struct{ name, scratch string }{
		{"temp-dir-each", ""},
		{"shared-dir", filepath.Join(b.TempDir(), "scratch")},
	} {
		rt := &Runtime{Command: bin, Root: b.TempDir(), Reaper: rp, ScratchDir: mode.scratch}
		b.Run("start/"+mode.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := rt.Start(context.Background(), "c", StartOpts{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("exec/"+mode.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := rt.Exec(context.Background(), "c", p, ExecOpts{PidFile: pidFile}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("floor", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := rp.Output(exec.Command(bin)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
