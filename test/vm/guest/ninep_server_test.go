package guest

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// p9Client is just enough of a 9P2000.L client to check the server.
type p9Client struct {
	t    *testing.T
	conn net.Conn
	tag  uint16
}

// call sends one request and returns the response type and body.
func (c *p9Client) call(typ uint8, body []byte) (uint8, *p9Reader) {
	c.t.Helper()
	c.tag++
	msg := make([]byte, 7, 7+len(body))
	binary.LittleEndian.PutUint32(msg, uint32(7+len(body)))
	msg[4] = typ
	binary.LittleEndian.PutUint16(msg[5:], c.tag)
	if _, err := c.conn.Write(append(msg, body...)); err != nil {
		c.t.Fatal(err)
	}
	var hdr [7]byte
	if _, err := io.ReadFull(c.conn, hdr[:]); err != nil {
		c.t.Fatal(err)
	}
	if tag := binary.LittleEndian.Uint16(hdr[5:]); tag != c.tag {
		c.t.Fatalf("response tag %d, want %d", tag, c.tag)
	}
	rest := make([]byte, binary.LittleEndian.Uint32(hdr[:])-7)
	if _, err := io.ReadFull(c.conn, rest); err != nil {
		c.t.Fatal(err)
	}
	return hdr[4], &p9Reader{b: rest}
}

// ok calls and fails the test on an Rlerror.
func (c *p9Client) ok(typ uint8, w *p9Writer) *p9Reader {
	c.t.Helper()
	rt, r := c.call(typ, w.b)
	if rt == p9Rlerror {
		c.t.Fatalf("request %d: error %v", typ, syscall.Errno(r.u32()))
	}
	if rt != typ+1 {
		c.t.Fatalf("request %d: response type %d", typ, rt)
	}
	return r
}

// errno calls and returns the Rlerror's errno (0 when it succeeded).
func (c *p9Client) errno(typ uint8, w *p9Writer) syscall.Errno {
	c.t.Helper()
	rt, r := c.call(typ, w.b)
	if rt != p9Rlerror {
		return 0
	}
	return syscall.Errno(r.u32())
}

func req(fill func(w *p9Writer)) *p9Writer {
	w := &p9Writer{}
	fill(w)
	return w
}

// TestNinePServer checks the Plan 9 server the share test relies on, on
// any machine: version, attach by name, walk, getattr, open, read,
// readdir, clunk, and refusals.
func TestNinePServer(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello over 9p\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "deep.txt"), []byte("deep\n"), 0o600)
	srv := newP9Server(map[string]string{"share": dir})
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- srv.serve(b) }()
	c := &p9Client{t: t, conn: a}

	r := c.ok(p9Tversion, req(func(w *p9Writer) { w.u32(65536); w.str("9P2000.L") }))
	if msize, v := r.u32(), r.str(); msize != 65536 || v != "9P2000.L" {
		t.Fatalf("version: %d %q", msize, v)
	}
	attach := func(fid uint32, aname string) *p9Writer {
		return req(func(w *p9Writer) { w.u32(fid); w.u32(^uint32(0)); w.str("root"); w.str(aname); w.u32(0) })
	}
	if e := c.errno(p9Tattach, attach(1, "nope")); e != syscall.ENOENT {
		t.Errorf("attach to an unknown share: %v", e)
	}
	r = c.ok(p9Tattach, attach(1, "share"))
	if qt := r.u8(); qt != p9QTDir {
		t.Errorf("root qid type %#x", qt)
	}
	walk := func(fid, newfid uint32, names ...string) *p9Writer {
		return req(func(w *p9Writer) {
			w.u32(fid)
			w.u32(newfid)
			w.u16(uint16(len(names)))
			for _, n := range names {
				w.str(n)
			}
		})
	}
	if e := c.errno(p9Twalk, walk(1, 2, "missing")); e != syscall.ENOENT {
		t.Errorf("walk to a missing file: %v", e)
	}
	r = c.ok(p9Twalk, walk(1, 2, "sub", "missing"))
	if n := r.u16(); n != 1 {
		t.Errorf("partial walk returned %d qids, want 1", n)
	}
	r = c.ok(p9Twalk, walk(1, 2, "sub", "..", "sub", "deep.txt"))
	if n := r.u16(); n != 4 {
		t.Fatalf("walk returned %d qids", n)
	}
	r = c.ok(p9Tgetattr, req(func(w *p9Writer) { w.u32(2); w.u64(0x7ff) }))
	r.u64()
	r.take(13)
	if mode := r.u32(); mode != syscall.S_IFREG|0o600 {
		t.Errorf("mode %o", mode)
	}
	r.u32()
	r.u32()
	r.u64()
	r.u64()
	if size := r.u64(); size != 5 {
		t.Errorf("size %d", size)
	}
	if e := c.errno(p9Tlopen, req(func(w *p9Writer) { w.u32(2); w.u32(syscall.O_RDWR) })); e != syscall.EROFS {
		t.Errorf("open for writing: %v", e)
	}
	c.ok(p9Tlopen, req(func(w *p9Writer) { w.u32(2); w.u32(syscall.O_RDONLY) }))
	r = c.ok(p9Tread, req(func(w *p9Writer) { w.u32(2); w.u64(1); w.u32(100) }))
	if n := r.u32(); string(r.take(int(n))) != "eep\n" {
		t.Errorf("read at offset 1")
	}
	c.ok(p9Tclunk, req(func(w *p9Writer) { w.u32(2) }))
	if e := c.errno(p9Tread, req(func(w *p9Writer) { w.u32(2); w.u64(0); w.u32(1) })); e != syscall.EBADF {
		t.Errorf("read of a clunked fid: %v", e)
	}

	// Read the root directory a few entries at a time.
	c.ok(p9Twalk, walk(1, 3))
	c.ok(p9Tlopen, req(func(w *p9Writer) { w.u32(3); w.u32(syscall.O_RDONLY | syscall.O_DIRECTORY) }))
	var names []string
	off := uint64(0)
	for {
		r = c.ok(p9Treaddir, req(func(w *p9Writer) { w.u32(3); w.u64(off); w.u32(40) }))
		n := r.u32()
		if n == 0 {
			break
		}
		d := &p9Reader{b: r.take(int(n))}
		for len(d.b) > 0 {
			d.take(13)
			off = d.u64()
			d.u8()
			names = append(names, d.str())
		}
	}
	if len(names) != 2 || names[0] != "hello.txt" || names[1] != "sub" {
		t.Errorf("readdir: %q", names)
	}
	if e := c.errno(118, req(func(w *p9Writer) { w.u32(3); w.u64(0); w.u32(1); w.u8('x') })); e != syscall.EROFS {
		t.Errorf("write: %v", e)
	}
	c.ok(p9Tstatfs, req(func(w *p9Writer) { w.u32(1) }))
	a.Close()
	if err := <-done; err != io.EOF && err != io.ErrClosedPipe {
		t.Errorf("serve ended with %v", err)
	}
	if got := srv.attaches(); len(got) != 2 || got[1] != "share" {
		t.Errorf("attaches %q", got)
	}
}
