package cgroup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Bounds of a walk over a container's cgroup tree. A container that may
// write its cgroup file system makes child cgroups at will, with mkdirat so
// that their paths outgrow PATH_MAX: the walk goes through directory fds
// (one per level held open) and stops at these bounds with an error rather
// than letting a container make the daemon hold unbounded fds and memory.
const (
	maxTreeDepth = 128  // levels below the top of the tree
	maxTreeNodes = 4096 // cgroups below the top of the tree
	maxErrPath   = 200  // bytes of a path kept in an error
)

// errTreeTooBig is the error of a walk that stopped at maxTreeDepth or
// maxTreeNodes.
var errTreeTooBig = errors.New("cgroup tree too big to walk")

// treeWalk visits the child cgroups below an open directory through
// directory fds: each is opened relative to its parent's fd, never by a
// full path. It does not stop at the first error (a walk that kills or
// removes does what it can reach); it keeps the first error and a count.
type treeWalk struct {
	root    string   // path of the top of the tree, for errors only
	names   []string // names from root down to the cgroup being visited
	dents   []byte
	nodes   int
	stopped bool
	first   error
	errs    int
}

// treeVisitor is what a treeWalk does at each child cgroup: pre with the
// child's fd before its own children are walked, post with its parent's fd
// and its name after, with the child's fd closed, and only if its children
// were walked without error (a cgroup whose children could not all be
// removed cannot be either). Either may be nil.
type treeVisitor struct {
	pre  func(fd int)
	post func(parent int, name string)
}

// openDirAt opens the directory name relative to dirfd (unix.AT_FDCWD for
// a path), never through a symbolic link.
func openDirAt(dirfd int, name string) (int, error) {
	return openAt(dirfd, name, unix.O_DIRECTORY)
}

// openFileAt opens the interface file name of the cgroup open at dirfd for
// reading, never through a symbolic link.
func openFileAt(dirfd int, name string) (int, error) {
	return openAt(dirfd, name, 0)
}

// openAt is openat(2) for reading with flags, O_NOFOLLOW and O_CLOEXEC,
// retried on EINTR.
func openAt(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|flags, 0)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// children walks the child cgroups of the open directory fd, depth first.
func (t *treeWalk) children(fd int, v treeVisitor) {
	names, err := t.list(fd)
	if err != nil {
		if !errors.Is(err, unix.ENOENT) { // the cgroup went while walked
			t.fail("getdents", err)
		}
		return
	}
	if len(names) > 0 && len(t.names) >= maxTreeDepth {
		t.fail("walk", fmt.Errorf("%w: deeper than %d levels", errTreeTooBig, maxTreeDepth))
		return
	}
	for _, name := range names {
		if t.nodes >= maxTreeNodes {
			t.fail("walk", fmt.Errorf("%w: more than %d cgroups", errTreeTooBig, maxTreeNodes))
			t.stopped = true
			return
		}
		t.nodes++
		t.names = append(t.names, name)
		t.child(fd, name, v)
		t.names = t.names[:len(t.names)-1]
		if t.stopped {
			return
		}
	}
}

// child visits the child cgroup name of the open directory fd and its
// descendants. One that went meanwhile is skipped.
func (t *treeWalk) child(fd int, name string, v treeVisitor) {
	cfd, err := openDirAt(fd, name)
	if errors.Is(err, unix.ENOENT) {
		return
	}
	if err != nil {
		t.fail("open", err)
		return
	}
	if v.pre != nil {
		v.pre(cfd)
	}
	errs := t.errs
	t.children(cfd, v)
	unix.Close(cfd)
	if v.post != nil && t.errs == errs {
		v.post(fd, name)
	}
}

// list returns the names of the child cgroups of the open directory fd,
// straight from getdents(2): os.File would add fcntl and poller calls, and
// sorting. It lists no more than the walk has room for.
func (t *treeWalk) list(fd int) ([]string, error) {
	if len(t.dents) == 0 {
		t.dents = make([]byte, 8192)
	}
	room := maxTreeNodes - t.nodes + 1
	var out []string
	for {
		n, err := unix.ReadDirent(fd, t.dents)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = appendDirNames(out, t.dents[:n])
		// Only an empty batch is the end: getdents also ends a batch
		// early, well short of the buffer, when a signal is pending for
		// the thread, as Go's preemption signal often is under load.
		if n == 0 || len(out) > room {
			return out, nil
		}
	}
}

// fail records an error of op at the cgroup being visited.
func (t *treeWalk) fail(op string, err error) {
	t.errs++
	if t.first == nil {
		t.first = &os.PathError{Op: op, Path: t.where(), Err: err}
	}
}

// where is the path of the cgroup being visited, cut to fit an error.
func (t *treeWalk) where() string {
	return cutPath(path.Join(t.root, strings.Join(t.names, "/")))
}

// err is the walk's outcome: its first error, with how many followed.
func (t *treeWalk) err() error {
	switch t.errs {
	case 0:
		return nil
	case 1:
		return t.first
	}
	return fmt.Errorf("%w (and %d more errors)", t.first, t.errs-1)
}

// cutPath shortens a path longer than maxErrPath to its head and tail:
// a container's cgroup path can be kilobytes long, too much for an error
// that goes into logs and replies.
func cutPath(p string) string {
	if len(p) <= maxErrPath {
		return p
	}
	const head, tail = maxErrPath / 2, maxErrPath / 3
	cut := fmt.Sprintf("%s...(%d bytes)...%s", p[:head], len(p)-head-tail, p[len(p)-tail:])
	return strings.ToValidUTF8(cut, "?")
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
		if rec[18] != unix.DT_DIR {
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
