package main

import (
	"errors"
	"io"
	"sync"
)

// The detach keys of docker: ctrl-p then ctrl-q.
const (
	detachKey1 = 0x10
	detachKey2 = 0x11
)

// errDetached ends an attached process's wait when the user typed the
// detach keys: the process goes on, gcsctl leaves it.
var errDetached = errors.New("detached")

// detachReader passes its input on until the detach keys, which it takes
// out; a ctrl-p followed by anything else is passed on with it.
type detachReader struct {
	r        io.Reader
	pending  bool   // a ctrl-p was read and is held back
	buf      []byte // what was read from r
	detached chan struct{}
	once     sync.Once
}

// newDetachReader returns a reader of r's input without the detach keys
// and a channel closed once they have been typed.
func newDetachReader(r io.Reader) (*detachReader, <-chan struct{}) {
	d := &detachReader{r: r, detached: make(chan struct{})}
	return d, d.detached
}

// Read returns input up to the detach keys, then io.EOF.
func (d *detachReader) Read(p []byte) (int, error) {
	if len(p) < 2 {
		return 0, io.ErrShortBuffer
	}
	select {
	case <-d.detached:
		return 0, io.EOF
	default:
	}
	if cap(d.buf) < len(p)-1 {
		d.buf = make([]byte, len(p)-1) // one less: room for a held ctrl-p
	}
	n, err := d.r.Read(d.buf[:len(p)-1])
	out := 0
	for _, b := range d.buf[:n] {
		switch {
		case d.pending && b == detachKey2:
			d.once.Do(func() { close(d.detached) })
			return out, io.EOF
		case d.pending:
			p[out] = detachKey1
			out++
			d.pending = false
		}
		if b == detachKey1 {
			d.pending = true
			continue
		}
		p[out] = b
		out++
	}
	return out, err
}
