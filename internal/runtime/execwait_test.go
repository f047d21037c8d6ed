package runtime

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
)

// BenchmarkExecWait: Exec of /bin/true and the wait for its exit through
// the reaper, as the GCS runs it (`exec -d`, its pid from the pid file
// tracked under a hold, crun from its sealed copy), against `RUNTIME exec`
// of the same process, which waits itself, in the same process and
// alternated round by round: the wrapper's cost without the bridge. Reported are the medians of 20
// rounds per b.N.
func BenchmarkExecWait(b *testing.B) {
	for _, path := range testutil.Runtimes(b) {
		b.Run(filepath.Base(path), func(b *testing.B) {
			e := newEnv(b, path)
			// As the daemon has it.
			e.rt.SealedCopy = filepath.Base(path) == "crun"
			b.Cleanup(func() { e.rt.Close() })
			id := e.run(b, "bench", "sleep", "100000").id
			p := e.process("/bin/true")
			wrapper := func() error {
				hold := e.reaper.Hold()
				defer hold.Release()
				pid, err := e.rt.Exec(context.Background(), id, p, ExecOpts{})
				if err != nil {
					return err
				}
				rp, err := hold.Track(pid)
				if err != nil {
					return err
				}
				hold.Release()
				if x := <-rp.Exit(); x.Code() != 0 {
					return fmt.Errorf("exec exited with %s", x)
				}
				return nil
			}
			floor := func() error {
				_, err := e.reaper.Output(exec.Command(path, "--root", e.rt.Root, "exec", id, "/bin/true"))
				return err
			}
			var ms [2][]float64
			for b.Loop() {
				for range 20 {
					for i, f := range []func() error{wrapper, floor} {
						start := time.Now()
						if err := f(); err != nil {
							b.Fatal(err)
						}
						ms[i] = append(ms[i], float64(time.Since(start).Microseconds())/1000)
					}
				}
			}
			w, f := median(ms[0]), median(ms[1])
			b.ReportMetric(w, "wrapper-ms")
			b.ReportMetric(f, "floor-ms")
			b.ReportMetric(w/f, "ratio")
		})
	}
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}
