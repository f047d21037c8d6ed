package cgroup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// pids lists the processes of the cgroup tree at p.
func (m *Manager) pids(p string) ([]uint32, error) {
	for _, mnt := range m.pidsMounts() {
		out, err := collectPids(filepath.Join(mnt, p))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return out, err
	}
	return nil, fmt.Errorf("no such cgroup: %w", fs.ErrNotExist)
}

// pidsMounts are the hierarchies Pids looks in, best first: v1's pids
// hierarchy (its directories are the smallest to list), then memory.
func (m *Manager) pidsMounts() []string {
	if m.sys.l.v2 {
		return []string{m.sys.l.unified}
	}
	var out []string
	for _, c := range []string{"pids", "memory"} {
		if h, ok := m.sys.l.controller(c); ok {
			out = append(out, h.mount)
		}
	}
	return out
}

// collectPids reads cgroup.procs of dir and of every cgroup below it, and
// returns the pids sorted and deduplicated. Only a missing dir itself is an
// error: child cgroups may vanish while they are walked.
func collectPids(dir string) ([]uint32, error) {
	w := pidWalker{buf: make([]byte, 0, 4096)}
	if err := w.walk(dir, true); err != nil {
		return nil, err
	}
	slices.Sort(w.pids)
	return slices.Compact(w.pids), nil
}

// pidWalker accumulates pids over a cgroup tree, reusing one read buffer.
type pidWalker struct {
	buf   []byte
	dents []byte
	pids  []uint32
}

// walk adds the pids of dir and its descendants.
func (w *pidWalker) walk(dir string, top bool) error {
	data, err := readBuf(filepath.Join(dir, "cgroup.procs"), w.buf)
	if err != nil {
		if !top && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	w.buf = data
	w.pids = appendPids(w.pids, data)
	subdirs, err := w.childDirs(dir)
	if err != nil {
		if !top && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, sub := range subdirs {
		if err := w.walk(filepath.Join(dir, sub), false); err != nil {
			return err
		}
	}
	return nil
}

// appendPids parses one pid per line.
func appendPids(out []uint32, data []byte) []uint32 {
	var v uint64
	digits := false
	for _, c := range data {
		if c >= '0' && c <= '9' {
			v = v*10 + uint64(c-'0')
			digits = true
			continue
		}
		if digits && v <= 1<<32-1 {
			out = append(out, uint32(v))
		}
		v, digits = 0, false
	}
	if digits && v <= 1<<32-1 {
		out = append(out, uint32(v))
	}
	return out
}

// childDirs lists the subdirectories (child cgroups) of dir, straight from
// getdents(2): os.File would add fcntl and poller calls, and sorting.
func (w *pidWalker) childDirs(dir string) ([]string, error) {
	fd, err := openRetry(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer syscall.Close(fd)
	if len(w.dents) == 0 {
		w.dents = make([]byte, 8192)
	}
	var out []string
	for {
		n, err := syscall.ReadDirent(fd, w.dents)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "getdents", Path: dir, Err: err}
		}
		out = appendDirNames(out, w.dents[:n])
		// A batch that stops well short of the buffer is the last one:
		// getdents only stops early when the next record would not fit.
		if n == 0 || n < len(w.dents)-1024 {
			return out, nil
		}
	}
}

// appendDirNames appends the names of the directories among the
// linux_dirent64 records in b, "." and ".." excepted.
func appendDirNames(out []string, b []byte) []string {
	const nameOff = 19 // ino u64, off s64, reclen u16, type u8
	for len(b) >= nameOff {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < nameOff || reclen > len(b) {
			break
		}
		rec := b[:reclen]
		b = b[reclen:]
		if rec[18] != syscall.DT_DIR {
			continue
		}
		name := rec[nameOff:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if string(name) == "." || string(name) == ".." {
			continue
		}
		out = append(out, string(name))
	}
	return out
}
