package runtime

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// The descriptors of an invocation beyond stdio (cmd.ExtraFiles from fd
// 3): the marker (see abort), the runtime's log, an exec's process
// definition and crun's pid file (see pidFile). The runtime opens the
// last three by path, /proc/self/fd/N.
const (
	logFD     = 4
	processFD = 5
	pidFD     = 6
)

// maxLogRead bounds what is read of a failed invocation's log: its end,
// where the runtime's last word is.
const maxLogRead = 1 << 20

// fdPath names descriptor fd of the process that opens the path: the
// runtime for its log and process files, this process for a reopening.
func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// memFile returns an anonymous in-memory file (memfd) holding b. Handed to
// a runtime as a descriptor and opened by it through /proc/self/fd/N (a new
// open file at offset 0), it replaces a file in a directory: nothing to
// create, name or remove on any filesystem, and gone with its last
// descriptor.
func memFile(name string, b []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating in-memory %s file: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	if len(b) > 0 {
		// At offset 0, leaving the descriptor's own offset there too.
		if _, err := f.WriteAt(b, 0); err != nil {
			f.Close()
			return nil, fmt.Errorf("writing in-memory %s file: %w", name, err)
		}
	}
	return f, nil
}

// readLog returns what the runtime wrote to its log f: its last
// maxLogRead bytes at most, from the start of a line.
func readLog(f *os.File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading runtime log: %w", err)
	}
	off := max(st.Size()-maxLogRead, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, off, maxLogRead))
	if err != nil {
		return nil, fmt.Errorf("reading runtime log: %w", err)
	}
	if off > 0 {
		// The first line read is likely cut: not a message of its own.
		_, b, _ = bytes.Cut(b, []byte("\n"))
	}
	return b, nil
}
