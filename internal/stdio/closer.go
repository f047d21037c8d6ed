package stdio

import (
	"io"
	"sync"
)

// closer closes an io.Closer at most once, from any goroutine. The zero
// value and a closer of nil do nothing. A closer must not be copied after
// first use.
type closer struct {
	once sync.Once
	c    io.Closer
}

// set records c as the thing to close.
func (o *closer) set(c io.Closer) {
	o.c = c
}

// Close closes the recorded io.Closer the first time it is called.
func (o *closer) Close() {
	o.once.Do(func() {
		if o.c != nil {
			_ = o.c.Close()
		}
	})
}
