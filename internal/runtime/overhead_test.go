package runtime

import (
	"context"
	"os/exec"
	"testing"

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
