package runtime

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// pidFile is where a runtime writes the pid of what its create or exec
// started. crun opens the path it is given and writes the pid (truncating
// first), so it gets an in-memory file as pidFD, opened by it through
// /proc/self/fd/N: nothing to create, read or remove on a filesystem.
// runc writes ".NAME" beside NAME and renames it, which needs a real
// directory: a file in the scratch directory. A path the caller chose is
// used as it is and left to the caller.
type pidFile struct {
	path string   // handed to the runtime as --pid-file
	mem  *os.File // the in-memory file behind path, or nil
	s    *scratch // the scratch directory path is in, or nil
}

// newPidFile returns the pid file of one invocation: given when the
// caller chose one, else an in-memory file or a file named name in a
// scratch directory. release must be called when done.
func (r *Runtime) newPidFile(given, name string) (*pidFile, error) {
	if given != "" {
		return &pidFile{path: given}, nil
	}
	if filepath.Base(r.command()) == "crun" {
		f, err := memFile("runtime-pid", nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.op("pid file"), err)
		}
		return &pidFile{path: fdPath(pidFD), mem: f}, nil
	}
	s, err := r.newScratch()
	if err != nil {
		return nil, err
	}
	return &pidFile{path: s.path(name), s: s}, nil
}

// read returns the pid the runtime wrote.
func (p *pidFile) read() (int, error) {
	if p.mem == nil {
		return readPid(p.path)
	}
	// A pid is a handful of digits; more than this is not one.
	b, err := io.ReadAll(io.NewSectionReader(p.mem, 0, 64))
	if err != nil {
		return 0, fmt.Errorf("reading pid file: %w", err)
	}
	return parsePid(p.path, b)
}

// release removes what newPidFile made; failed says the invocation did
// not succeed, so that runc's hidden temporary may be left too.
func (p *pidFile) release(failed bool) {
	if p.mem != nil {
		p.mem.Close()
	}
	if p.s != nil {
		p.s.release(failed)
	}
}

// readPid reads the pid a runtime wrote to path.
func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("reading pid file: %w", err)
	}
	return parsePid(path, b)
}

// parsePid parses the pid read from the pid file at path.
func parsePid(path string, b []byte) (int, error) {
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("reading pid file %s: invalid pid %q", path, b)
	}
	return pid, nil
}
