package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
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
// returns the pids sorted and deduplicated. The walk goes through directory
// fds (a child cgroup's path may be longer than PATH_MAX) and is bounded
// (maxTreeDepth, maxTreeNodes). A missing dir itself is an error, of which
// errors.Is(err, fs.ErrNotExist) holds; child cgroups may vanish while they
// are walked. On any other error the pids that could be read are returned
// with it.
func collectPids(dir string) ([]uint32, error) {
	fd, err := openDirAt(unix.AT_FDCWD, dir)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: cutPath(dir), Err: err}
	}
	defer unix.Close(fd)
	w := pidWalker{buf: make([]byte, 0, 4096), tree: treeWalk{root: dir}}
	if err := w.read(fd); err != nil {
		return nil, fmt.Errorf("read pids of cgroup %s: %w", cutPath(dir), err)
	}
	w.tree.children(fd, treeVisitor{pre: w.visit})
	slices.Sort(w.pids)
	return slices.Compact(w.pids), w.tree.err()
}

// pidWalker accumulates pids over a cgroup tree, reusing one read buffer.
type pidWalker struct {
	buf  []byte
	pids []uint32
	tree treeWalk
}

// visit adds the pids of the child cgroup open at fd; one that went
// meanwhile has none.
func (w *pidWalker) visit(fd int) {
	if err := w.read(fd); err != nil && !errors.Is(err, unix.ENOENT) {
		w.tree.fail("read pids of", err)
	}
}

// read adds the pids listed in cgroup.procs of the cgroup open at dirfd.
func (w *pidWalker) read(dirfd int) error {
	fd, err := openFileAt(dirfd, "cgroup.procs")
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	data, err := preadAll(fd, "cgroup.procs", w.buf)
	if err != nil {
		return err
	}
	w.buf = data
	w.pids = appendPids(w.pids, data)
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
