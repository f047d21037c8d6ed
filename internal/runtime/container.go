package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Create creates container id from the bundle directory and returns the
// pid of its init, which waits for Start:
// `create --bundle B --pid-file P [--console-socket S] [--no-pivot] id`.
// The init inherits o.IO as its stdio. It is reparented to the reaper when
// the runtime exits; subscribe to the pid to learn its exit.
func (r *Runtime) Create(ctx context.Context, id, bundle string, o CreateOpts) (int, error) {
	if o.PidFile == "" {
		s, err := r.newScratch()
		if err != nil {
			return 0, err
		}
		defer s.release()
		o.PidFile = s.path("init.pid")
	}
	args := append([]string{"--bundle", bundle}, o.args()...)
	c := call{op: "create", id: id, args: append(args, id), stdio: &o.IO}
	if err := r.run(ctx, c); err != nil {
		return 0, err
	}
	return readPid(o.PidFile)
}

// Exec runs process p in container id, detached, and returns its pid: p is
// handed to the runtime as an in-memory file and run with
// `exec -d --process /proc/self/fd/N --pid-file P [--console-socket S] id`. The process
// inherits o.IO as its stdio and is reparented to the reaper when the
// runtime exits; subscribe to the pid to learn its exit.
func (r *Runtime) Exec(ctx context.Context, id string, p *specs.Process, o ExecOpts) (int, error) {
	if p == nil {
		return 0, fmt.Errorf("%s: no process given", r.op("exec"))
	}
	b, err := json.Marshal(p)
	if err != nil {
		return 0, fmt.Errorf("%s: encoding process: %w", r.op("exec"), err)
	}
	if o.PidFile == "" {
		s, err := r.newScratch()
		if err != nil {
			return 0, err
		}
		defer s.release()
		o.PidFile = s.path("exec.pid")
	}
	args := append([]string{"-d", "--process", fdPath(processFD)}, o.args()...)
	c := call{op: "exec", id: id, args: append(args, id), stdio: &o.IO, process: b}
	if err := r.run(ctx, c); err != nil {
		return 0, err
	}
	return readPid(o.PidFile)
}

// Kill sends sig to the init of container id, or with all to every process
// in it: `kill [--all] id SIG`.
func (r *Runtime) Kill(ctx context.Context, id string, sig unix.Signal, all bool) error {
	var args []string
	if all {
		args = append(args, "--all")
	}
	args = append(args, id, strconv.Itoa(int(sig)))
	return r.run(ctx, call{op: "kill", id: id, args: args})
}

// Delete deletes container id, which must be stopped (or created) unless
// force is set, which kills it first: `delete [--force] id`.
func (r *Runtime) Delete(ctx context.Context, id string, force bool) error {
	var args []string
	if force {
		args = append(args, "--force")
	}
	return r.run(ctx, call{op: "delete", id: id, args: append(args, id)})
}

// readPid reads the pid a runtime wrote to path.
func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("reading pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("reading pid file %s: invalid pid %q", path, b)
	}
	return pid, nil
}
