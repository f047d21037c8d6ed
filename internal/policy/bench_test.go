package policy

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// twentyPolicy is the corpus's 20-container policy, written the way the
// reference's generator writes policies.
const twentyPolicy = "testdata/corpus/twenty/policy.rego"

func quietOptions() Options {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return Options{Log: l}
}

// loadedOptions are quietOptions with the framework parsed beforehand, as
// a daemon loads it at start.
func loadedOptions(b *testing.B) Options {
	b.Helper()
	fw, err := LoadFramework()
	if err != nil {
		b.Fatal(err)
	}
	opts := quietOptions()
	opts.Framework = fw
	return opts
}

func readTwenty(b *testing.B) string {
	b.Helper()
	code, err := os.ReadFile(twentyPolicy)
	if err != nil {
		b.Fatal(err)
	}
	return string(code)
}

// cpuTime is the process's user and system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCPU runs the loop and reports cpu-ns/op beside ns/op: on a shared
// machine wall time mostly measures the other tenants.
func measureCPU(b *testing.B, body func()) {
	b.Helper()
	measureCPUReset(b, body, nil)
}

// measureCPUReset measures body only; reset runs after each, untimed
// (undoing a decision so the next one decides the same).
func measureCPUReset(b *testing.B, body, reset func()) {
	b.Helper()
	var spent time.Duration
	n := 0
	for b.Loop() {
		start := cpuTime(b)
		body()
		spent += cpuTime(b) - start
		n++
		if reset != nil {
			b.StopTimer()
			reset()
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(spent)/float64(n), "cpu-ns/op")
}

// BenchmarkInstallPolicy measures installing a real policy: parsing and
// compiling it with the framework (goal: 40 ms or less).
func BenchmarkInstallPolicy(b *testing.B) {
	code := readTwenty(b)
	ctx := context.Background()
	measureCPU(b, func() {
		if _, err := NewRego(ctx, code, quietOptions()); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkInstallPolicyLoadedFramework measures installing the same
// policy with the framework parsed beforehand (LoadFramework at startup),
// as a daemon would.
func BenchmarkInstallPolicyLoadedFramework(b *testing.B) {
	code := readTwenty(b)
	ctx := context.Background()
	opts := loadedOptions(b)
	measureCPU(b, func() {
		if _, err := NewRego(ctx, code, opts); err != nil {
			b.Fatal(err)
		}
	})
}

func layerHash(n int) string { return repeat(fmt.Sprintf("%02x", n), 32) }

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// svcRequest is a create_container request svc<i> of the twenty policy allows.
func svcRequest(i int, id string) CreateContainer {
	return CreateContainer{
		SandboxID: "pod0", ContainerID: id,
		Args:       []string{fmt.Sprintf("/bin/svc%d", i), "--serve"},
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", fmt.Sprintf("SVC_%d_X=y", i)},
		WorkingDir: "/",
		Mounts: []specs.Mount{{Destination: "/data", Type: "bind", Source: "/run/gcs/c/pod0/sandboxMounts/tmp/atlas/emptydir/abc",
			Options: []string{"rbind", "rshared", "rw"}}},
		User: IDName{ID: "0", Name: "root"}, Groups: []IDName{{ID: "0", Name: "root"}}, Umask: "0022",
		Capabilities: &specs.LinuxCapabilities{
			Bounding: DefaultUnprivilegedCapabilities(), Effective: DefaultUnprivilegedCapabilities(),
			Permitted: DefaultUnprivilegedCapabilities(),
		},
	}
}

// BenchmarkMountDevice measures a mount_device decision on the
// 20-container policy (goal: 0.05 ms or less); the rollback that lets every
// iteration decide the same is not timed.
func BenchmarkMountDevice(b *testing.B) {
	ctx := context.Background()
	p, err := NewRego(ctx, readTwenty(b), quietOptions())
	if err != nil {
		b.Fatal(err)
	}
	req := MountDevice{Target: "/run/mounts/scsi/m0", DeviceHash: layerHash(39)}
	var d *Decision
	measureCPUReset(b, func() {
		if d, err = p.MountDevice(ctx, req); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if err := d.Rollback(ctx); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkCreateContainer measures a create_container decision on the
// 20-container policy, for the last container's overlay (goal: 0.05 ms or
// less); the rollback between iterations is not timed.
func BenchmarkCreateContainer(b *testing.B) {
	ctx := context.Background()
	p, err := NewRego(ctx, readTwenty(b), quietOptions())
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []MountDevice{
		{Target: "/run/mounts/scsi/m0", DeviceHash: layerHash(39)},
		{Target: "/run/mounts/scsi/m1", DeviceHash: layerHash(79)},
	} {
		d, err := p.MountDevice(ctx, m)
		if err != nil {
			b.Fatal(err)
		}
		d.Commit()
	}
	d, err := p.MountOverlay(ctx, MountOverlay{ContainerID: "svc", LayerPaths: []string{"/run/mounts/scsi/m1", "/run/mounts/scsi/m0"}, Target: "/run/gcs/c/svc/rootfs"})
	if err != nil {
		b.Fatal(err)
	}
	d.Commit()
	req := svcRequest(19, "svc")
	measureCPUReset(b, func() {
		if d, err = p.CreateContainer(ctx, req); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if err := d.Rollback(ctx); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkInstallPolicyInBackground measures what a SecurityPolicy reply
// waits for in the daemon (CompileInBackground): the policy parsed and
// compiled alone, the framework parsing beside it; the compile with the
// framework that follows is not timed (see BenchmarkInstallPolicy).
func BenchmarkInstallPolicyInBackground(b *testing.B) {
	code := readTwenty(b)
	ctx := context.Background()
	opts := quietOptions()
	opts.CompileInBackground = true
	b.ReportAllocs()
	for b.Loop() {
		p, err := NewRego(ctx, code, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := p.Ready(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
