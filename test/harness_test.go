package test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// gcsBinary is the path of the gcs binary built once by TestMain.
var gcsBinary string

func TestMain(m *testing.M) {
	if mode := os.Getenv(echoPeerEnv); mode != "" {
		os.Exit(runEchoPeer(mode))
	}
	if bin := os.Getenv("GCS_TEST_BINARY"); bin != "" {
		// A given build, e.g. an older commit's, to compare benchmarks.
		gcsBinary = bin
		code := m.Run()
		board.print(os.Stdout)
		os.Exit(code)
	}
	dir, err := os.MkdirTemp("", "gcs-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gcsBinary = filepath.Join(dir, "gcs")
	args := []string{"build", "-trimpath", "-o", gcsBinary}
	if os.Getenv("GCS_E2E_RACE") != "" {
		// The daemon under the race detector: `make race-e2e`.
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "github.com/linux-gcs/gcs/cmd/gcs")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build gcs:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	board.print(os.Stdout)
	os.RemoveAll(dir)
	os.Exit(code)
}

// gcsProc is a gcs daemon started by a test.
type gcsProc struct {
	cmd    *exec.Cmd
	stderr *strings.Builder
	done   chan error
}

// Pid returns the daemon's pid.
func (g *gcsProc) Pid() int { return g.cmd.Process.Pid }

// startGCS starts the gcs binary with args and registers its termination.
func startGCS(t testing.TB, stdin io.Reader, stdout io.Writer, args ...string) *gcsProc {
	t.Helper()
	cmd := exec.Command(gcsBinary, args...)
	var stderr strings.Builder
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, &lockedWriter{b: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gcs: %v", err)
	}
	g := &gcsProc{cmd: cmd, stderr: &stderr, done: make(chan error, 1)}
	go func() { g.done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-g.done:
		default:
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-g.done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-g.done
			}
		}
		if t.Failed() {
			t.Logf("gcs log:\n%s", g.log())
		}
		if path := os.Getenv("GCS_BENCH_LOG"); path != "" {
			// Benchmarks: keep the daemon's log to see where time goes.
			if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err == nil {
				f.WriteString(g.log())
				f.Close()
			}
		}
	})
	return g
}

func (g *gcsProc) log() string {
	if lw, ok := g.cmd.Stderr.(*lockedWriter); ok {
		return lw.String()
	}
	return ""
}

// exited reports whether the daemon has exited.
func (g *gcsProc) exited() bool {
	select {
	case err := <-g.done:
		g.done <- err
		return true
	default:
		return false
	}
}

// wait returns the daemon's exit, failing the test if it takes too long.
func (g *gcsProc) wait(t testing.TB, d time.Duration) error {
	t.Helper()
	select {
	case err := <-g.done:
		g.done <- err
		return err
	case <-time.After(d):
		t.Fatalf("gcs did not exit within %v", d)
		return nil
	}
}

// rssKiB reads the daemon's resident set size.
func (g *gcsProc) rssKiB(t testing.TB) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", g.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// isolation keeps a test's daemon to a cgroup subtree of its own and, when
// the daemon runs under the race detector (which needs several times the
// memory), lifts its memory limit.
// noFavorDynMods keeps a daemon started by a test from turning on
// cgroup2's favordynmods, a kernel-wide setting (irreversible from Linux
// 6.18) of the machine the tests share; the VM tests check it on.
const noFavorDynMods = "-cgroup-favordynmods=false"

func isolation(t testing.TB) []string {
	args := []string{"-cgroup-parent", testutil.CgroupParent(t), noFavorDynMods}
	if os.Getenv("GCS_E2E_RACE") != "" {
		args = append(args, "-gcs-mem-limit-bytes", "0")
	}
	return args
}

// listenGCS starts gcs listening on a unix socket and returns its address.
func listenGCS(t testing.TB, extra ...string) (*gcsProc, string) {
	t.Helper()
	dir := t.TempDir()
	addr := "unix://" + filepath.Join(dir, "bridge.sock")
	args := append([]string{"-v4", "-loglevel", "debug", "-listen", "-bridge", addr,
		"-relay", "unix://" + filepath.Join(dir, "relay"), "-root", filepath.Join(dir, "root")}, isolation(t)...)
	args = append(args, extra...)
	g := startGCS(t, nil, nil, args...)
	return g, addr
}

// dialGCS connects a client to addr, retrying while the daemon starts.
func dialGCS(t testing.TB, addr string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		c, err := client.Dial(ctx, addr)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return c
		}
		if ctx.Err() != nil {
			t.Fatalf("connect to gcs at %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stdioGCS starts gcs with the bridge on its stdin/stdout and returns a
// client over the pipes.
func stdioGCS(t testing.TB, extra ...string) (*gcsProc, *client.Client) {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	args := append([]string{"-v4", "-loglevel", "debug", "-use-inouterr",
		"-relay", "unix://" + filepath.Join(dir, "relay"), "-root", filepath.Join(dir, "root")}, isolation(t)...)
	args = append(args, extra...)
	g := startGCS(t, inR, outW, args...)
	inR.Close()
	outW.Close()
	c := client.New(pipeConn{r: outR, w: inW})
	t.Cleanup(func() { c.Close() })
	return g, c
}

// pipeConn joins the two pipe ends the host holds into one stream.
type pipeConn struct {
	r *os.File
	w *os.File
}

func (p pipeConn) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p pipeConn) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p pipeConn) Close() error {
	p.w.Close()
	return p.r.Close()
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
