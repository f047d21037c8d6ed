package kmsg

import "time"

// Rate limit of the forwarded records: a burst of limitBurst, then
// limitRate a second. A container cannot write /dev/kmsg, but it can make
// the kernel log for it at will (an OOM kill alone logs dozens of lines,
// a crash loop "segfault" lines, a full disk I/O errors); without a limit
// each of those became a line of the daemon's log, at the cost of its CPU,
// of its logger's lock and of the host's log pipe.
const (
	limitBurst = 200
	limitRate  = 20.0 // records a second
)

// bucket is a token bucket: each forwarded record takes a token, tokens
// come back at rate a second up to burst.
type bucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

// newBucket returns a full bucket.
func newBucket(rate, burst float64, now time.Time) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// take takes a token at now and reports whether there was one.
func (b *bucket) take(now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// next is when the bucket next holds a token.
func (b *bucket) next() time.Time {
	if b.tokens >= 1 {
		return b.last
	}
	return b.last.Add(time.Duration((1 - b.tokens) / b.rate * float64(time.Second)))
}
