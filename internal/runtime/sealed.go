package runtime

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"golang.org/x/sys/unix"
)

// sealedSeals are the seals runc and crun look for on their own executable
// (/proc/self/exe): a file sealed so can never be written again, so it
// needs no protection against a container overwriting it (CVE-2019-5736).
const sealedSeals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE

// binary returns the path to execute the runtime from: with SealedCopy,
// its sealed in-memory copy, made at first use, named by this process's
// descriptor of it (/proc/PID/fd/N: the child's own descriptor numbers are
// rearranged before it executes); otherwise, or should the copy fail,
// the command itself.
func (r *Runtime) binary() string {
	if !r.SealedCopy {
		return r.command()
	}
	r.sealedMu.Lock()
	defer r.sealedMu.Unlock()
	if !r.sealedTried {
		r.sealedTried = true
		f, err := sealedCopy(r.command())
		if err != nil {
			r.log().WithError(err).WithField("runtime", r.command()).Warn("running the runtime from its own file: no sealed copy")
			return r.command()
		}
		r.sealed = f
		r.sealedPath = "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/" + strconv.Itoa(int(f.Fd()))
	}
	if r.sealed == nil {
		return r.command()
	}
	return r.sealedPath
}

// Prepare makes the sealed copy now, if SealedCopy asks for one and none
// was attempted yet, so that the first invocation does not pay for it
// (runc's 8 MiB took ~30 ms in docs/PERFORMANCE.md). Optional: without it the
// copy is made at first use.
func (r *Runtime) Prepare() { r.binary() }

// sealedCopy copies the binary command (a path, or a name looked up in
// PATH) into an in-memory file and seals it.
func sealedCopy(command string) (*os.File, error) {
	path, err := exec.LookPath(command)
	if err != nil {
		return nil, fmt.Errorf("sealed copy of %s: %w", command, err)
	}
	src, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sealed copy of %s: %w", path, err)
	}
	defer src.Close()
	// MFD_EXEC: executable whatever vm.memfd_noexec says; kernels before
	// 6.3 know no such flag and make every memfd executable.
	fd, err := unix.MemfdCreate("runtime-binary", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate("runtime-binary", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, fmt.Errorf("sealed copy of %s: creating in-memory file: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), "runtime-binary")
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("sealed copy of %s: %w", path, err)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, sealedSeals); err != nil {
		f.Close()
		return nil, fmt.Errorf("sealed copy of %s: sealing: %w", path, err)
	}
	return f, nil
}

// Close releases the sealed copy of the runtime binary, if one was made;
// invocations started afterwards run the command itself. One starting
// meanwhile may fail to execute: call it once no invocation runs any more.
func (r *Runtime) Close() error {
	r.sealedMu.Lock()
	defer r.sealedMu.Unlock()
	r.sealedTried = true
	if r.sealed == nil {
		return nil
	}
	err := r.sealed.Close()
	r.sealed = nil
	return err
}
