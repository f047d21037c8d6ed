package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// benchLogLevel is the daemon's log level in benchmarks: warning, unless
// GCS_BENCH_LOGLEVEL asks for more to see where time goes.
func benchLogLevel() string {
	if l := os.Getenv("GCS_BENCH_LOGLEVEL"); l != "" {
		return l
	}
	return "warning"
}

// pair times one operation through the GCS and its floor, the runtime's own
// command line doing the same thing, alternately, so that both see the same
// machine; it reports the medians of both and their ratio, which a busy
// machine disturbs less than means.
type pair struct {
	gcs, floor []float64 // milliseconds, one per round
}

// containerRounds is how many rounds of each container benchmark one op
// takes its medians over.
const containerRounds = 20

// report reports both medians and their ratio, recorded as goal key with
// the ratio's bound.
func (p *pair) report(b *testing.B, key string, bound float64) {
	if len(p.gcs) == 0 {
		return
	}
	ratioGoal(b, key, median(p.gcs), median(p.floor), bound)
}

// alternate times gcs and then floor, one round.
func (p *pair) alternate(b *testing.B, gcs, floor func() error) {
	if err := timeIt(&p.gcs, gcs); err != nil {
		b.Fatal(err)
	}
	if err := timeIt(&p.floor, floor); err != nil {
		b.Fatal(err)
	}
}

// timeIt runs f and appends its duration in milliseconds to ms.
func timeIt(ms *[]float64, f func() error) error {
	start := time.Now()
	err := f()
	*ms = append(*ms, since(start))
	return err
}

// floorBundle prepares a bundle for the runtime's own CLI with the same
// spec the GCS would write, over the same busybox rootfs.
func floorBundle(b *testing.B, h *hostEnv) (dir string, cgParent string) {
	dir = filepath.Join(h.dir, "floor")
	cgParent = testutil.CgroupParent(b)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	return dir, cgParent
}

// copySpec gives the floor exactly the config.json the GCS wrote for the
// same container (same mounts, including /etc/hostname, hosts and
// resolv.conf), on the plain rootfs and in its own cgroup, so that the
// ratio is the GCS's own overhead.
func copySpec(b *testing.B, gcsBundle, dir, rootfs, cgroupsPath string) {
	data, err := os.ReadFile(filepath.Join(gcsBundle, "config.json"))
	if err != nil {
		b.Fatal(err)
	}
	var spec oci.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		b.Fatal(err)
	}
	spec.Root.Path = rootfs
	spec.Root.Readonly = true
	spec.Linux.CgroupsPath = cgroupsPath
	// The bundle's own files (/etc/hostname, hosts...) are copied beside,
	// so that the floor's bundle outlives the GCS's container.
	for i, m := range spec.Mounts {
		rel, err := filepath.Rel(gcsBundle, m.Source)
		if gcsBundle == dir || err != nil || strings.HasPrefix(rel, "..") || strings.Contains(rel, "/") {
			continue
		}
		f, err := os.ReadFile(m.Source)
		if err != nil {
			continue // a directory, or not there: left as it is
		}
		spec.Mounts[i].Source = filepath.Join(dir, rel)
		if err := os.WriteFile(spec.Mounts[i].Source, f, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	data, _ = json.Marshal(&spec)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		b.Fatal(err)
	}
}

// runCLI runs a runtime command with its output in a file rather than a
// pipe: `create` hands its stdio to the container, which would hold a pipe
// open for as long as it lives.
func runCLI(name string, args ...string) error {
	out, err := os.CreateTemp("", "gcs-bench-cli-")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(out.Name())
		return fmt.Errorf("%s %v: %v: %s", name, args, err, b)
	}
	return nil
}

// startGoal is issue 13's bound on time to a running container, as a
// ratio to the runtime's own create + start.
var startGoal = map[string]float64{"runc": 0.6, "crun": 0.9}

// BenchmarkContainerStart: CombinedLayers + Create + Start + the init's
// ExecuteProcess through the GCS, against `RUNTIME create` + `RUNTIME start`
// of the same spec (goal 1).
func BenchmarkContainerStart(b *testing.B) {
	for _, rt := range testutil.Runtimes(b) {
		b.Run(filepath.Base(rt), func(b *testing.B) {
			h := newHostEnv(b, rt, "-loglevel", benchLogLevel())
			floorDir, cg := floorBundle(b, h)
			floorRoot := filepath.Join(h.dir, "floor-state")
			var p pair
			b.ResetTimer()
			for i := 0; i < b.N*containerRounds; i++ {
				id := h.id("bench")
				fid := fmt.Sprintf("floor-%d", i)
				var pid uint32
				gcs := func() error {
					return timeIt(&p.gcs, func() error {
						if err := h.create(id, specFor("sleep", "1000")); err != nil {
							return err
						}
						var err error
						pid, err = h.startInit(id, h.listenStdio(false, false, false))
						return err
					})
				}
				floor := func() error {
					return timeIt(&p.floor, func() error {
						if err := runCLI(rt, "--root", floorRoot, "create", "--bundle", floorDir, fid); err != nil {
							return err
						}
						return runCLI(rt, "--root", floorRoot, "start", fid)
					})
				}
				// Who goes first alternates: the first after a teardown
				// meets the kernel's deferred clean-up of the last
				// round's containers (namespaces, cgroups). The floor's
				// config.json is the GCS's: of this round when the GCS
				// goes first, else of the last one.
				gcsFirst := i%2 == 0
				if gcsFirst {
					if err := gcs(); err != nil {
						b.Fatal(err)
					}
					copySpec(b, h.bundle(id), floorDir, h.layer, cg+"/"+fid)
				} else {
					copySpec(b, floorDir, floorDir, h.layer, cg+"/"+fid)
				}
				if err := floor(); err != nil {
					b.Fatal(err)
				}
				if !gcsFirst {
					if err := gcs(); err != nil {
						b.Fatal(err)
					}
				}
				// Tear both down completely before the next round, so that
				// neither is timed while the other's exit is being handled.
				b.StopTimer()
				h.c.ShutdownForced(context.Background(), id)
				h.c.WaitForProcess(context.Background(), id, pid, -1)
				h.notification(id)
				if err := h.c.DeleteContainerState(context.Background(), id); err != nil {
					b.Fatal(err)
				}
				runCLI(rt, "--root", floorRoot, "delete", "--force", fid)
				b.StartTimer()
			}
			b.StopTimer()
			name := filepath.Base(rt)
			p.report(b, "1 running container, "+name, startGoal[name])
		})
	}
}

// BenchmarkExecTrue: ExecuteProcess of /bin/true + WaitForProcess through
// the GCS, against `RUNTIME exec` of the same process, which waits too
// (goal 2).
func BenchmarkExecTrue(b *testing.B) {
	for _, rt := range testutil.Runtimes(b) {
		b.Run(filepath.Base(rt), func(b *testing.B) {
			h := newHostEnv(b, rt, "-loglevel", benchLogLevel())
			id := h.id("exec")
			if err := h.create(id, specFor("sleep", "100000")); err != nil {
				b.Fatal(err)
			}
			if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
				b.Fatal(err)
			}
			runtimeRoot := filepath.Join(h.root, "runtime")
			var p pair
			b.ResetTimer()
			for i := 0; i < b.N*containerRounds; i++ {
				err := timeIt(&p.gcs, func() error {
					pid, err := h.exec(id, process("/bin/true"), h.listenStdio(false, false, false))
					if err != nil {
						return err
					}
					code, err := h.c.WaitForProcess(context.Background(), id, pid, -1)
					if err == nil && code != 0 {
						err = fmt.Errorf("exit %d", code)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				err = timeIt(&p.floor, func() error {
					return runCLI(rt, "--root", runtimeRoot, "exec", id, "/bin/true")
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			p.report(b, "2 exec+wait, "+filepath.Base(rt), 1.03)
		})
	}
}

// BenchmarkGetProperties: ProcessList and Statistics of a running container
// through the GCS, against the runtime's own `ps` (the reference's way of
// listing processes) as the floor.
func BenchmarkGetProperties(b *testing.B) {
	h := newHostEnv(b, "runc", "-loglevel", "warning")
	id := h.id("props")
	if err := h.create(id, specFor("sh", "-c", "sleep 100000 & sleep 100000 & wait")); err != nil {
		b.Fatal(err)
	}
	if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pt   prot.PropertyType
	}{{"ProcessList", prot.PtProcessList}, {"Statistics", prot.PtStatistics}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := h.c.GetProperties(context.Background(), id, tc.pt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
		})
	}
	b.Run("floor-runc-ps", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := runCLI("runc", "--root", filepath.Join(h.root, "runtime"), "ps", "--format", "json", id); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
	})
}
