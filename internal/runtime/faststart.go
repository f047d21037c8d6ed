package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// StartOpts are the options of Runtime.Start. The zero value starts the
// container with the runtime command.
type StartOpts struct {
	// Pid is the init's pid, as Create returned it. With it (and Spec),
	// Start may release the init itself through the container's exec
	// fifo, which is all `runc start` and `crun start` do when the spec
	// has no hooks, instead of running the runtime command.
	Pid int
	// Spec is the container's spec, as its bundle has it; nil leaves the
	// start to the runtime command. A spec with hooks does too: the
	// runtime runs them.
	Spec *specs.Spec
	// Exited, if set, reports whether the init is known to have ended
	// (the reaper saw its exit); /proc is consulted besides.
	Exited func() bool
}

// fifoSide is how a runtime's start releases a created init through the
// exec.fifo in the container's state directory.
type fifoSide int

const (
	// fifoNone: unknown runtime, start with its command.
	fifoNone fifoSide = iota
	// fifoRead (runc): the init blocks opening the fifo for writing; start
	// opens it for reading, reads what the init writes up to EOF (the
	// init's exec closes it) and removes it.
	fifoRead
	// fifoWrite (crun): the init holds the fifo open for reading and
	// waits for a byte; start opens it for writing, removes it and
	// writes one byte.
	fifoWrite
)

// errNotFast means the fast path does not apply; nothing was done.
var errNotFast = errors.New("start left to the runtime command")

// fifoPollInterval is how often a wait on the fifo checks the init is
// still alive, as `runc start` does.
const fifoPollInterval = 100 * time.Millisecond

// side returns how the runtime's start releases an init, and the name of
// the file that marks its state directory: fifoNone when unknown.
func (r *Runtime) side() (fifoSide, string) {
	switch filepath.Base(r.command()) {
	case "runc":
		return fifoRead, "state.json"
	case "crun":
		return fifoWrite, "status"
	}
	return fifoNone, ""
}

// Start starts the user process of container id, created by Create. With
// o.Pid and o.Spec set, a spec without hooks, a known runtime (runc or
// crun) and an explicit Root, it releases the init through its exec fifo
// as the runtime's own start would, without running the runtime; in any
// doubt, and whenever the init is not waiting on the fifo, it runs
// `start id`, which reports what is wrong.
func (r *Runtime) Start(ctx context.Context, id string, o StartOpts) error {
	err := r.fastStart(ctx, id, o)
	if !errors.Is(err, errNotFast) {
		return err
	}
	if err != errNotFast {
		r.log().WithError(err).WithField("id", id).Debug("starting with the runtime command")
	}
	return r.run(ctx, call{op: "start", id: id, args: []string{id}})
}

// fastStart releases the init of created container id through its exec
// fifo. An error matching errNotFast means nothing was done.
func (r *Runtime) fastStart(ctx context.Context, id string, o StartOpts) error {
	side, marker := r.side()
	if side == fifoNone || r.Root == "" || o.Pid <= 0 || o.Spec == nil || hasHooks(o.Spec) ||
		os.Getenv("NOTIFY_SOCKET") != "" || !plainID(id) {
		return errNotFast
	}
	dir, err := openBeneath(r.Root, id, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("%w: state dir: %v", errNotFast, err)
	}
	defer unix.Close(dir)
	var st unix.Stat_t
	if err := unix.Fstatat(dir, marker, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%w: no %s in the state dir (%v)", errNotFast, marker, err)
	}
	fifo, err := openFifo(dir, side)
	if err != nil {
		return err
	}
	defer fifo.Close()
	if side == fifoWrite {
		return r.releaseWriting(dir, id, fifo)
	}
	return r.releaseReading(ctx, dir, id, fifo, o)
}

// releaseWriting does what crun's start does with the fifo open for
// writing: remove it (the container is "running" from then on), write
// the byte the init waits for.
func (r *Runtime) releaseWriting(dir int, id string, fifo *os.File) error {
	if err := unix.Unlinkat(dir, "exec.fifo", 0); err != nil {
		return fmt.Errorf("%s %s: removing exec fifo: %w", r.op("start"), id, err)
	}
	if _, err := fifo.Write([]byte{0}); err != nil {
		return fmt.Errorf("%s %s: writing exec fifo: %w", r.op("start"), id, err)
	}
	return nil
}

// releaseReading does what runc's start does with the fifo open for
// reading (which let the init's open for writing through): read what the
// init writes, up to EOF at its exec, then remove the fifo. An init that
// ended without writing is left to the runtime command, which says so.
func (r *Runtime) releaseReading(ctx context.Context, dir int, id string, fifo *os.File, o StartOpts) error {
	ctx, cancel := context.WithTimeoutCause(ctx, r.timeout("start"), ErrTimeout)
	defer cancel()
	fd := int(fifo.Fd())
	got := false
	buf := make([]byte, 16)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(fifoPollInterval/time.Millisecond))
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("%s %s: polling exec fifo: %w", r.op("start"), id, err)
		}
		if n > 0 {
			m, err := unix.Read(fd, buf)
			switch {
			case m > 0:
				got = true
				continue
			case err == nil: // EOF: the init exec'd, or ended
				if !got {
					return fmt.Errorf("%w: exec fifo closed without data", errNotFast)
				}
				if err := unix.Unlinkat(dir, "exec.fifo", 0); err != nil {
					return fmt.Errorf("%s %s: removing exec fifo: %w", r.op("start"), id, err)
				}
				return nil
			case !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR):
				return fmt.Errorf("%s %s: reading exec fifo: %w", r.op("start"), id, err)
			}
		}
		if !got && initEnded(o) {
			return fmt.Errorf("%w: init %d ended", errNotFast, o.Pid)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s: waiting for the init on the exec fifo: %w", r.op("start"), id, context.Cause(ctx))
		}
	}
}

// openFifo opens the exec fifo of the state directory dir for side,
// without following a symbolic link, and only if it is a fifo of this
// user; without blocking: for writing, it fails unless the init holds
// the reading end. A failure matches errNotFast.
func openFifo(dir int, side fifoSide) (*os.File, error) {
	path, err := unix.Openat2(dir, "exec.fifo", &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: opening exec fifo: %v", errNotFast, err)
	}
	defer unix.Close(path)
	var st unix.Stat_t
	if err := unix.Fstat(path, &st); err != nil {
		return nil, fmt.Errorf("%w: exec fifo: %v", errNotFast, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO || int(st.Uid) != os.Geteuid() {
		return nil, fmt.Errorf("%w: exec.fifo is not a fifo of ours (mode %o, uid %d)", errNotFast, st.Mode, st.Uid)
	}
	flags := unix.O_RDONLY
	if side == fifoWrite {
		flags = unix.O_WRONLY
	}
	// Reopening the O_PATH descriptor opens exactly the inode checked.
	fd, err := unix.Open(fdPath(path), flags|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: opening exec fifo: %v", errNotFast, err)
	}
	return os.NewFile(uintptr(fd), "exec.fifo"), nil
}

// openBeneath opens name below root without following symbolic links.
func openBeneath(root, name string, flags int) (int, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(rfd)
	return unix.Openat2(rfd, name, &unix.OpenHow{
		Flags:   uint64(flags) | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	})
}

// initEnded reports whether the init of o is known to be gone: the
// caller says so, or /proc has it a zombie or nothing.
func initEnded(o StartOpts) bool {
	if o.Exited != nil && o.Exited() {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(o.Pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the command name, which ends with the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return true
	}
	state := s[i+2]
	return state == 'Z' || state == 'X'
}

// hasHooks reports whether s has any hook for the runtime to run.
func hasHooks(s *specs.Spec) bool {
	h := s.Hooks
	if h == nil {
		return false
	}
	return len(h.Prestart)+len(h.CreateRuntime)+len(h.CreateContainer)+len(h.StartContainer)+
		len(h.Poststart)+len(h.Poststop) > 0
}

// plainID reports whether id is a single path element the runtimes
// would accept.
func plainID(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, "/\x00")
}
