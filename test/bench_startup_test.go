package test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// startupRounds is how many starts of each goal 4 takes its medians over.
const startupRounds = 30

// BenchmarkDaemonStart measures goal 4: from the exec of the gcs binary,
// configured as in a utility VM (state root, runtime, cgroups; the host
// listens and the GCS dials it), to the reply to Negotiate. The floor is
// the same for the echo peer, a separate process (this test binary) that
// dials the same kind of socket and answers at once. One op is 30 starts
// of each, alternately; the figures are medians.
func BenchmarkDaemonStart(b *testing.B) {
	rt := testutil.Runtimes(b)[0]
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var gcsMs, floorMs []float64
	for i := 0; i < b.N; i++ {
		for r := 0; r < startupRounds; r++ {
			dir := b.TempDir()
			sock := filepath.Join(dir, "bridge.sock")
			gcs := exec.Command(gcsBinary, "-v4", "-loglevel", "warning", "-bridge", "unix://"+sock,
				"-relay", "unix://"+filepath.Join(dir, "relay"), "-root", filepath.Join(dir, "root"),
				"-runtime", rt, "-cgroup-parent", testutil.CgroupParent(b), noFavorDynMods, "-shutdown-action", "exit")
			gcsMs = append(gcsMs, timeToNegotiate(b, gcs, sock))
			sock = filepath.Join(dir, "floor.sock")
			floor := exec.Command(self)
			floor.Env = append(os.Environ(), echoPeerEnv+"=dial:"+sock)
			floorMs = append(floorMs, timeToNegotiate(b, floor, sock))
		}
	}
	g, f := median(gcsMs), median(floorMs)
	b.ReportMetric(g, "gcs-ms/start")
	b.ReportMetric(f, "floor-ms/start")
	b.ReportMetric(g/f, "ratio")
	limitGoal("4 daemon start → negotiate", g, f, 8, "ms")
}

// timeToNegotiate listens on sock, starts cmd, accepts its connection and
// returns the milliseconds from the start to the Negotiate reply; then it
// stops cmd.
func timeToNegotiate(b *testing.B, cmd *exec.Cmd, sock string) float64 {
	ln, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	stderr := &lockedWriter{b: new(strings.Builder)}
	cmd.Stderr = stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	ln.(*net.UnixListener).SetDeadline(time.Now().Add(20 * time.Second))
	conn, err := ln.Accept()
	if err != nil {
		b.Fatalf("%s never dialed: %v; its log: %s", cmd.Path, err, stderr.String())
	}
	c := client.New(conn)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.Negotiate(ctx); err != nil {
		b.Fatalf("negotiate with %s: %v; its log: %s", cmd.Path, err, stderr.String())
	}
	return since(start)
}

// median returns the median of v (which it sorts).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}
