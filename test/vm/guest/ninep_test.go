package guest

// A small read-only 9P2000.L file server: the host's side of a Plan 9
// share (ModifySettings MappedDirectory), which the GCS dials on a relay
// port and mounts with trans=fd. It serves directory trees by attach name
// and refuses every change with EROFS.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// 9P2000.L message types (T = request, R = T+1 = response).
const (
	p9Rlerror   = 7
	p9Tstatfs   = 8
	p9Tlopen    = 12
	p9Treadlink = 22
	p9Tgetattr  = 24
	p9Txattrwk  = 30
	p9Treaddir  = 40
	p9Tfsync    = 50
	p9Tversion  = 100
	p9Tattach   = 104
	p9Tflush    = 108
	p9Twalk     = 110
	p9Tread     = 116
	p9Tclunk    = 120
)

// Requests that would change the tree: lcreate, symlink, mknod, rename,
// setattr, xattrcreate, link, mkdir, renameat, unlinkat, write, remove.
var p9Changes = map[uint8]bool{14: true, 16: true, 18: true, 20: true, 26: true,
	32: true, 70: true, 72: true, 74: true, 76: true, 118: true, 122: true}

const (
	p9QTDir     = 0x80
	p9QTSymlink = 0x02
	p9MaxMsize  = 512 << 10
	p9Magic     = 0x01021997 // V9FS_MAGIC, for statfs
	p9IOHdr     = 24         // room a read's response needs besides data
)

// p9Server serves shares (attach name -> directory) over one connection
// at a time.
type p9Server struct {
	shares map[string]string

	mu       sync.Mutex
	attached []string // attach names seen, in order
	msize    uint32
	fids     map[uint32]*p9Fid
}

type p9Fid struct {
	path, root string
	file       *os.File
	dirents    []fs.DirEntry // read on open, for readdir
}

func newP9Server(shares map[string]string) *p9Server {
	return &p9Server{shares: shares, fids: map[uint32]*p9Fid{}, msize: 8192}
}

// attaches returns the attach names the client used.
func (s *p9Server) attaches() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.attached...)
}

// serve answers requests on rw until it is closed; io.EOF is a clean end.
func (s *p9Server) serve(rw io.ReadWriter) error {
	defer s.clunkAll()
	var size [4]byte
	for {
		if _, err := io.ReadFull(rw, size[:]); err != nil {
			return err
		}
		n := binary.LittleEndian.Uint32(size[:])
		if n < 7 || n > p9MaxMsize {
			return fmt.Errorf("9p: message of %d bytes", n)
		}
		msg := make([]byte, n-4)
		if _, err := io.ReadFull(rw, msg); err != nil {
			return err
		}
		typ, tag := msg[0], binary.LittleEndian.Uint16(msg[1:3])
		rtyp, body := s.handle(typ, &p9Reader{b: msg[3:]})
		out := make([]byte, 7, 7+len(body))
		binary.LittleEndian.PutUint32(out, uint32(7+len(body)))
		out[4] = rtyp
		binary.LittleEndian.PutUint16(out[5:], tag)
		if _, err := rw.Write(append(out, body...)); err != nil {
			return err
		}
	}
}

func (s *p9Server) clunkAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, f := range s.fids {
		if f.file != nil {
			f.file.Close()
		}
		delete(s.fids, id)
	}
}

// p9Error is an errno for Rlerror.
type p9Error syscall.Errno

func (e p9Error) Error() string { return syscall.Errno(e).Error() }

func errnoOf(err error) p9Error {
	var pe p9Error
	if errors.As(err, &pe) {
		return pe
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return p9Error(e)
	}
	return p9Error(syscall.EIO)
}

// handle answers one request: its response type and body.
func (s *p9Server) handle(typ uint8, r *p9Reader) (uint8, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := &p9Writer{}
	err := s.dispatch(typ, r, w)
	if err == nil && r.err != nil {
		err = p9Error(syscall.EINVAL)
	}
	if err != nil {
		e := &p9Writer{}
		e.u32(uint32(errnoOf(err)))
		return p9Rlerror, e.b
	}
	return typ + 1, w.b
}

func (s *p9Server) fid(id uint32) (*p9Fid, error) {
	f, ok := s.fids[id]
	if !ok {
		return nil, p9Error(syscall.EBADF)
	}
	return f, nil
}

func (s *p9Server) dispatch(typ uint8, r *p9Reader, w *p9Writer) error {
	if p9Changes[typ] {
		return p9Error(syscall.EROFS)
	}
	switch typ {
	case p9Tversion:
		msize, version := r.u32(), r.str()
		s.msize = min(msize, p9MaxMsize)
		for id := range s.fids {
			delete(s.fids, id)
		}
		if !strings.HasPrefix(version, "9P2000.L") {
			version = "unknown"
		} else {
			version = "9P2000.L"
		}
		w.u32(s.msize)
		w.str(version)
	case p9Tattach:
		fid, _, _, aname := r.u32(), r.u32(), r.str(), r.str()
		s.attached = append(s.attached, aname)
		root, ok := s.shares[aname]
		if !ok {
			return p9Error(syscall.ENOENT)
		}
		st, err := lstat(root)
		if err != nil {
			return err
		}
		s.fids[fid] = &p9Fid{path: root, root: root}
		w.qid(st)
	case p9Twalk:
		fid, newfid, n := r.u32(), r.u32(), r.u16()
		f, err := s.fid(fid)
		if err != nil {
			return err
		}
		path := f.path
		var qids []*unix.Stat_t
		for i := 0; i < int(n); i++ {
			name := r.str()
			switch {
			case name == "..":
				if path != f.root {
					path = filepath.Dir(path)
				}
			case name == "" || name == "." || strings.Contains(name, "/"):
				return p9Error(syscall.EINVAL)
			default:
				path = filepath.Join(path, name)
			}
			st, err := lstat(path)
			if err != nil {
				if i == 0 {
					return err
				}
				break
			}
			qids = append(qids, st)
		}
		if len(qids) == int(n) {
			s.fids[newfid] = &p9Fid{path: path, root: f.root}
		}
		w.u16(uint16(len(qids)))
		for _, st := range qids {
			w.qid(st)
		}
	case p9Tgetattr:
		f, err := s.fid(r.u32())
		if err != nil {
			return err
		}
		st, err := lstat(f.path)
		if err != nil {
			return err
		}
		w.u64(0x7ff) // P9_GETATTR_BASIC
		w.qid(st)
		w.u32(st.Mode)
		w.u32(st.Uid)
		w.u32(st.Gid)
		w.u64(uint64(st.Nlink))
		w.u64(st.Rdev)
		w.u64(uint64(st.Size))
		w.u64(uint64(st.Blksize))
		w.u64(uint64(st.Blocks))
		for _, ts := range []unix.Timespec{st.Atim, st.Mtim, st.Ctim, {}} {
			w.u64(uint64(ts.Sec))
			w.u64(uint64(ts.Nsec))
		}
		w.u64(0) // gen
		w.u64(0) // data_version
	case p9Tlopen:
		f, err := s.fid(r.u32())
		if err != nil {
			return err
		}
		flags := r.u32()
		if flags&unix.O_ACCMODE != unix.O_RDONLY || flags&unix.O_TRUNC != 0 {
			return p9Error(syscall.EROFS)
		}
		st, err := lstat(f.path)
		if err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			ents, err := os.ReadDir(f.path)
			if err != nil {
				return err
			}
			f.dirents = ents
		} else {
			file, err := os.Open(f.path)
			if err != nil {
				return err
			}
			f.file = file
		}
		w.qid(st)
		w.u32(0) // iounit: msize - header
	case p9Tread:
		f, err := s.fid(r.u32())
		if err != nil {
			return err
		}
		off, count := r.u64(), r.u32()
		if f.file == nil {
			return p9Error(syscall.EBADF)
		}
		count = min(count, s.msize-p9IOHdr)
		buf := make([]byte, count)
		n, err := f.file.ReadAt(buf, int64(off))
		if err != nil && err != io.EOF {
			return err
		}
		w.u32(uint32(n))
		w.b = append(w.b, buf[:n]...)
	case p9Treaddir:
		f, err := s.fid(r.u32())
		if err != nil {
			return err
		}
		off, count := r.u64(), r.u32()
		if f.dirents == nil && f.file == nil {
			return p9Error(syscall.EBADF)
		}
		count = min(count, s.msize-p9IOHdr)
		d := &p9Writer{}
		for i := int(off); i < len(f.dirents); i++ {
			e := f.dirents[i]
			st, err := lstat(filepath.Join(f.path, e.Name()))
			if err != nil {
				continue
			}
			ent := &p9Writer{}
			ent.qid(st)
			ent.u64(uint64(i + 1))
			ent.u8(direntType(st.Mode))
			ent.str(e.Name())
			if len(d.b)+len(ent.b) > int(count) {
				break
			}
			d.b = append(d.b, ent.b...)
		}
		w.u32(uint32(len(d.b)))
		w.b = append(w.b, d.b...)
	case p9Treadlink:
		f, err := s.fid(r.u32())
		if err != nil {
			return err
		}
		target, err := os.Readlink(f.path)
		if err != nil {
			return err
		}
		w.str(target)
	case p9Tstatfs:
		f, err := s.fid(r.u32())
		if err != nil {
			return err
		}
		var st unix.Statfs_t
		if err := unix.Statfs(f.path, &st); err != nil {
			return err
		}
		w.u32(p9Magic)
		w.u32(uint32(st.Bsize))
		for _, v := range []uint64{st.Blocks, st.Bfree, st.Bavail, st.Files, st.Ffree} {
			w.u64(v)
		}
		w.u64(uint64(uint32(st.Fsid.Val[0])) | uint64(uint32(st.Fsid.Val[1]))<<32)
		w.u32(uint32(st.Namelen))
	case p9Tclunk:
		id := r.u32()
		f, err := s.fid(id)
		if err != nil {
			return err
		}
		if f.file != nil {
			f.file.Close()
		}
		delete(s.fids, id)
	case p9Tflush, p9Tfsync:
		// Requests are answered in order, so a flushed one is done already.
	case p9Txattrwk:
		return p9Error(syscall.EOPNOTSUPP)
	default:
		return p9Error(syscall.ENOSYS)
	}
	return nil
}

func lstat(path string) (*unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func direntType(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return unix.DT_DIR
	case unix.S_IFLNK:
		return unix.DT_LNK
	case unix.S_IFREG:
		return unix.DT_REG
	}
	return unix.DT_UNKNOWN
}

// p9Reader decodes little-endian 9P fields; a short message sets err.
type p9Reader struct {
	b   []byte
	err error
}

func (r *p9Reader) take(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.err = io.ErrUnexpectedEOF
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *p9Reader) u8() uint8   { return r.take(1)[0] }
func (r *p9Reader) u16() uint16 { return binary.LittleEndian.Uint16(r.take(2)) }
func (r *p9Reader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *p9Reader) u64() uint64 { return binary.LittleEndian.Uint64(r.take(8)) }
func (r *p9Reader) str() string { return string(r.take(int(r.u16()))) }

// p9Writer encodes little-endian 9P fields.
type p9Writer struct{ b []byte }

func (w *p9Writer) u8(v uint8)   { w.b = append(w.b, v) }
func (w *p9Writer) u16(v uint16) { w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *p9Writer) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *p9Writer) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *p9Writer) str(s string) { w.u16(uint16(len(s))); w.b = append(w.b, s...) }

func (w *p9Writer) qid(st *unix.Stat_t) {
	var t uint8
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		t = p9QTDir
	case unix.S_IFLNK:
		t = p9QTSymlink
	}
	w.u8(t)
	w.u32(uint32(st.Mtim.Sec)) // version: changes when the file does
	w.u64(st.Ino)
}

// sortedNames lists a directory's entries by name (for the checks).
func sortedNames(ents []fs.DirEntry) []string {
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}
