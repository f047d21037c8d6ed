package policy

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"
)

// twentyLayers returns svc<i>'s layers as the twenty policy lists them,
// bottom first.
func twentyLayers(i int) [2]string { return [2]string{layerHash(20 + i), layerHash(60 + i)} }

// execRequest is the exec of "sh" svc<i>'s policy allows in container id.
func execRequest(i int, id string) ExecInContainer {
	c := svcRequest(i, id)
	return ExecInContainer{
		ContainerID: id, Args: []string{"sh"}, Env: c.Env, WorkingDir: c.WorkingDir,
		User: c.User, Groups: c.Groups, Umask: c.Umask, Capabilities: c.Capabilities,
	}
}

// bootSequence is what a VM running the twenty policy's containers asks,
// in order: for each container its two layer devices, its overlay, its
// creation, one exec and a signal to the exec'd process. The metadata grows
// as it would in a real VM.
func bootSequence() []func(context.Context, Enforcer) (*Decision, error) {
	var steps []func(context.Context, Enforcer) (*Decision, error)
	for i := range 20 {
		layers := twentyLayers(i)
		id := fmt.Sprintf("c%02d", i)
		bottom := fmt.Sprintf("/run/mounts/scsi/m%d", 2*i)
		top := fmt.Sprintf("/run/mounts/scsi/m%d", 2*i+1)
		steps = append(steps,
			func(ctx context.Context, e Enforcer) (*Decision, error) {
				return e.MountDevice(ctx, MountDevice{Target: bottom, DeviceHash: layers[0]})
			},
			func(ctx context.Context, e Enforcer) (*Decision, error) {
				return e.MountDevice(ctx, MountDevice{Target: top, DeviceHash: layers[1]})
			},
			func(ctx context.Context, e Enforcer) (*Decision, error) {
				return e.MountOverlay(ctx, MountOverlay{ContainerID: id, LayerPaths: []string{top, bottom}, Target: ContainerRoot + "/" + id + "/rootfs"})
			},
			func(ctx context.Context, e Enforcer) (*Decision, error) {
				return e.CreateContainer(ctx, svcRequest(i, id))
			},
			func(ctx context.Context, e Enforcer) (*Decision, error) {
				return e.ExecInContainer(ctx, execRequest(i, id))
			},
			func(ctx context.Context, e Enforcer) (*Decision, error) {
				return e.SignalContainerProcess(ctx, SignalContainerProcess{ContainerID: id, Signal: 15, IsInitProcess: true, StartupArgs: svcRequest(i, id).Args})
			},
		)
	}
	return steps
}

// BenchmarkDecisionSequence measures decisions as a VM asks them: the boot
// sequence of the twenty policy's containers (mounts, overlays, creates,
// execs, signals; 120 decisions), each committed, on a policy installed
// afresh (untimed) for every run. It reports the mean per decision (goal:
// 0.05 ms or less).
func BenchmarkDecisionSequence(b *testing.B) {
	ctx := context.Background()
	code := readTwenty(b)
	opts := loadedOptions(b)
	steps := bootSequence()
	var wall, cpu time.Duration
	decisions := 0
	for b.Loop() {
		b.StopTimer()
		p, err := NewRego(ctx, code, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		startCPU, start := cpuTime(b), time.Now()
		for n, step := range steps {
			d, err := step(ctx, p)
			if err != nil {
				b.Fatalf("step %d: %v", n, err)
			}
			d.Commit()
		}
		wall += time.Since(start)
		cpu += cpuTime(b) - startCPU
		decisions += len(steps)
	}
	b.ReportMetric(float64(wall)/float64(decisions), "ns/decision")
	b.ReportMetric(float64(cpu)/float64(decisions), "cpu-ns/decision")
}

// BenchmarkSecurityPolicyRequest measures what installing a policy costs
// the GCS when the host sends it (goal: 40 ms or less): decoding the
// request's base64 policy and compiling it with the framework loaded at
// start, then deciding the first request (which prepares its query).
func BenchmarkSecurityPolicyRequest(b *testing.B) {
	ctx := context.Background()
	encoded := base64.StdEncoding.EncodeToString([]byte(readTwenty(b)))
	opts := loadedOptions(b)
	measureCPU(b, func() {
		code, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			b.Fatal(err)
		}
		e, err := Install(ctx, string(code), opts)
		if err != nil {
			b.Fatal(err)
		}
		d, err := e.MountDevice(ctx, MountDevice{Target: "/run/mounts/scsi/m0", DeviceHash: layerHash(20)})
		if err != nil {
			b.Fatal(err)
		}
		d.Commit()
	})
}
