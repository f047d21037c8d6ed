package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Create creates container id from the bundle directory and returns the
// pid of its init, which waits for Start:
// `create --bundle B --pid-file P [--console-socket S] [--no-pivot] id`.
// The init inherits o.IO as its stdio. It is reparented to the reaper when
// the runtime exits; subscribe to the pid to learn its exit.
func (r *Runtime) Create(ctx context.Context, id, bundle string, o CreateOpts) (int, error) {
	pf, err := r.newPidFile(o.PidFile, "init.pid")
	if err != nil {
		return 0, err
	}
	o.PidFile = pf.path
	args := append([]string{"--bundle", bundle}, o.args()...)
	c := call{op: "create", id: id, args: append(args, id), stdio: &o.IO, pidFile: pf.mem}
	err = r.run(ctx, c)
	defer func() { pf.release(err != nil) }()
	if err != nil {
		return 0, err
	}
	return pf.read()
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
	pf, err := r.newPidFile(o.PidFile, "exec.pid")
	if err != nil {
		return 0, err
	}
	o.PidFile = pf.path
	args := append([]string{"-d", "--process", fdPath(processFD)}, o.args()...)
	c := call{op: "exec", id: id, args: append(args, id), stdio: &o.IO, process: b, pidFile: pf.mem}
	err = r.run(ctx, c)
	defer func() { pf.release(err != nil) }()
	if err != nil {
		return 0, err
	}
	return pf.read()
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
