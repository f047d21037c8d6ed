package stdio

// tailBuffer remembers the last size bytes written through it, oldest
// first, in a ring that never grows past size.
type tailBuffer struct {
	size  int
	ring  []byte // allocated on first use, up to size
	next  int    // where the next byte goes once the ring is full
	total int64  // bytes ever added
}

func newTailBuffer(size int) *tailBuffer {
	return &tailBuffer{size: size}
}

// add records p.
func (t *tailBuffer) add(p []byte) {
	t.total += int64(len(p))
	if len(p) >= t.size {
		t.ring = append(t.ring[:0], p[len(p)-t.size:]...)
		t.next = 0
		return
	}
	if room := t.size - len(t.ring); room > 0 {
		// Still filling: append what fits.
		n := min(room, len(p))
		t.ring = append(t.ring, p[:n]...)
		p = p[n:]
	}
	for len(p) > 0 {
		n := copy(t.ring[t.next:], p)
		t.next = (t.next + n) % t.size
		p = p[n:]
	}
}

// bytes returns a copy of the remembered tail, oldest byte first.
func (t *tailBuffer) bytes() []byte {
	out := make([]byte, 0, len(t.ring))
	if len(t.ring) < t.size {
		return append(out, t.ring...)
	}
	out = append(out, t.ring[t.next:]...)
	return append(out, t.ring[:t.next]...)
}
