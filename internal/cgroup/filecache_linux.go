package cgroup

import (
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
)

// statFilesKept is how many cgroups' interface files Stats keeps open: a
// host polls the statistics of a few containers over and over, and opening
// a kernfs file (path walk, seq_file set-up) costs more than reading it.
const statFilesKept = 8

// fileCache keeps the interface files of the last few cgroups whose
// statistics were read open, to be read again with pread at offset 0 (a
// seq_file read at offset 0 starts over and shows the current values).
//
// A file whose cgroup was removed stays open but reads ENODEV (kernfs
// deactivates its nodes on removal), so a cgroup removed and made again
// under the same path is never read through a stale file: that error closes
// the file and it is opened again by path. Manager.Remove also drops the
// files of the cgroup and of those under it at once. At most statFilesKept
// cgroups are kept, the least recently read dropped first; a set still
// being read is closed when its last reader is done.
type fileCache struct {
	mu   sync.Mutex
	max  int
	sets []*fileSet // least recently used first
}

// fileSet is the open files of one cgroup, by full path.
type fileSet struct {
	key     string
	mu      sync.Mutex
	fds     map[string]int
	readers int  // guarded by fileCache.mu
	dropped bool // guarded by fileCache.mu: close when readers ends at 0
}

// acquire returns the file set of cgroup key, made if needed and marked most
// recently used; release it when done. A nil cache returns nil: files are
// then opened for each read.
func (c *fileCache) acquire(key string) *fileSet {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range c.sets {
		if s.key == key {
			copy(c.sets[i:], c.sets[i+1:]) // in place: no copy of the list per read
			c.sets[len(c.sets)-1] = s
			s.readers++
			return s
		}
	}
	s := &fileSet{key: key, fds: map[string]int{}, readers: 1}
	c.sets = append(c.sets, s)
	limit := c.max
	if limit <= 0 {
		limit = statFilesKept
	}
	for len(c.sets) > limit {
		c.dropLocked(c.sets[0])
		c.sets = c.sets[1:]
	}
	return s
}

// release ends a reader's use of s.
func (c *fileCache) release(s *fileSet) {
	if s == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s.readers--
	if s.dropped && s.readers == 0 {
		s.closeAll()
	}
}

// drop forgets the files of cgroup key and of the cgroups under it (closing
// them once no reader has them): removing a cgroup removes its tree.
func (c *fileCache) drop(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.sets[:0]
	for _, s := range c.sets {
		if inTree(s.key, key) {
			c.dropLocked(s)
			continue
		}
		kept = append(kept, s)
	}
	clear(c.sets[len(kept):])
	c.sets = kept
}

// inTree reports whether cgroup path p is root or lies under it.
func inTree(p, root string) bool {
	return p == root || root == "/" || strings.HasPrefix(p, root) && p[len(root)] == '/'
}

// closeAllSets closes every kept file.
func (c *fileCache) closeAllSets() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.sets {
		c.dropLocked(s)
	}
	c.sets = nil
}

// dropLocked marks s dropped and closes it if no one reads it.
func (c *fileCache) dropLocked(s *fileSet) {
	s.dropped = true
	if s.readers == 0 {
		s.closeAll()
	}
}

// len is the number of cgroups whose files are kept.
func (c *fileCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sets)
}

// openFiles is the number of files s keeps open.
func (s *fileSet) openFiles() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.fds)
}

func (s *fileSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, fd := range s.fds {
		_ = syscall.Close(fd)
		delete(s.fds, p)
	}
}

// read reads the whole file at path into buf through the kept file, opening
// (and keeping) it first if needed. A kept file that fails to read (its
// cgroup was removed: ENODEV) is closed and the file opened again by path,
// once. path is only copied when the file is opened: looking a file up by
// string(path) allocates nothing.
func (s *fileSet) read(path []byte, buf []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fd, ok := s.fds[string(path)]; ok {
		out, err := preadAll(fd, path, buf)
		if err == nil {
			return out, nil
		}
		_ = syscall.Close(fd)
		delete(s.fds, string(path))
	}
	name := string(path)
	fd, err := openRead(name)
	if err != nil {
		return nil, err
	}
	out, err := preadAll(fd, path, buf)
	if err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	s.fds[name] = fd
	return out, nil
}

// preadAll reads the whole file open at fd from offset 0 into buf (grown as
// needed); see shortReadEOF.
func preadAll[P string | []byte](fd int, path P, buf []byte) ([]byte, error) {
	if cap(buf) < 512 {
		buf = make([]byte, 0, 4096)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		want := cap(buf) - len(buf)
		n, err := syscall.Pread(fd, buf[len(buf):cap(buf)], int64(len(buf)))
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: string(path), Err: err}
		}
		buf = buf[:len(buf)+n]
		if n == 0 || n < want && len(buf) < shortReadEOF {
			return buf, nil
		}
	}
}
