package bridge

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/linux-gcs/gcs/internal/prot"
)

// rawCutNote opens a dump whose raw form was cut at its limit: the
// goroutines past the cut are neither shown nor counted in a group.
const rawCutNote = "[raw goroutine dump cut at its limit: the goroutines past it are neither shown nor counted]\n\n"

// truncatedMarker ends a trimmed stack dump.
const truncatedMarker = "\n...[truncated to fit the bridge message limit]\n"

// typicalActivityID is as long as the GUID a host sends: the shared dump is
// trimmed to fit a reply carrying one.
const typicalActivityID = prot.NullContainerID

// DumpStacks returns the DumpStacks handler. It ignores the body, as the
// reference does, reports goroutines with identical stacks once with their
// number (see groupStacks), and trims the dump so the reply fits one bridge
// message.
//
// Dumps are taken one at a time into one buffer, and a request that arrives
// while a dump is being taken gets the next one, shared with every other
// request waiting for it: a burst of requests costs a few dumps, not one
// buffer each.
func DumpStacks() Handler {
	d := &stackDumper{}
	return Func(func(_ context.Context, r *Request) (prot.Response, error) {
		text := d.stacks()
		if encodedLen(r.ActivityID) > encodedLen(typicalActivityID) {
			text = fitText(text, r.ActivityID)
		}
		return &prot.DumpStacksResponse{GuestStacks: text}, nil
	})
}

// encodedLen is the length of s as a JSON string.
func encodedLen(s string) int {
	b, _ := json.Marshal(s)
	return len(b)
}

// stackDumper takes goroutine dumps one at a time and shares each among the
// requests that waited for it.
type stackDumper struct {
	mu    sync.Mutex
	taken atomic.Uint64 // dumps finished so far
	text  string        // the latest dump, trimmed for a typical reply
	// rawLimit bounds the raw dump (0: maxRawStacks).
	rawLimit int
	// perG is the bytes one goroutine took in the last whole dump (0:
	// none yet), to size the next dump's buffer.
	perG int
	// bufs keeps the last dump's buffer, if no larger than
	// maxPooledStacks, for a dump that follows before the garbage
	// collector drops it: a host asks for a few in a row.
	bufs sync.Pool // of *[]byte
}

// maxPooledStacks bounds the buffer kept between dumps (see
// stackDumper.bufs): about 1,000 goroutines.
const maxPooledStacks = 1 << 20

// stacks returns a dump, taken after the call began or under way when it
// began, trimmed to fit a reply whose ActivityId is no longer than a GUID.
func (d *stackDumper) stacks() string {
	seen := d.taken.Load()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.taken.Load() > seen {
		return d.text // finished while this request waited for it
	}
	limit := d.rawLimit
	if limit == 0 {
		limit = maxRawStacks
	}
	buf, _ := d.bufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	raw, cut := rawStacks(buf, limit, d.perG)
	if g := runtime.NumGoroutine(); !cut && g > 0 {
		d.perG = len(raw)/g + 1
	}
	text := groupStacks(raw, prot.MaxOutboundMessageSize)
	if cap(*buf) <= maxPooledStacks {
		d.bufs.Put(buf) // raw, which it holds, is not used past here
	}
	if cut {
		text = rawCutNote + text
	}
	d.text = fitText(text, typicalActivityID)
	d.taken.Add(1)
	return d.text
}

// stackBytesGuess is about how much of a dump one goroutine of the daemon
// takes, to size the first buffer before any dump has been taken.
const stackBytesGuess = 2 << 10

// stackBytesSlack is what the next buffer gets over the last dump's bytes
// per goroutine, in 1/8ths: stacks that grew a little since still fit.
const stackBytesSlack = 2

// rawStacks returns the runtime.Stack dump of every goroutine, whole if it
// fits in limit bytes (else cut reports it was cut). Each
// runtime.Stack(all) stops the world for as long as formatting the whole
// dump takes, even into a buffer too small for it, so the buffer is sized
// from the number of goroutines times perG (the bytes a goroutine took in
// the last dump, 0 if none) with some slack, and a short one grows four
// times over. *buf is used if large enough, and replaced otherwise. The
// dump is returned in *buf itself, not copied: it is valid until *buf is
// used again.
func rawStacks(buf *[]byte, limit, perG int) (raw string, cut bool) {
	if perG <= 0 {
		perG = stackBytesGuess
	}
	perG += perG * stackBytesSlack / 8
	size := min(max(runtime.NumGoroutine()*perG, prot.MaxOutboundMessageSize), limit)
	for {
		if cap(*buf) < size {
			*buf = make([]byte, size)
		}
		size = min(cap(*buf), limit) // all of a kept buffer: fewer retries
		b := (*buf)[:size]
		n := runtime.Stack(b, true)
		if n < size || size == limit {
			return unsafe.String(unsafe.SliceData(b), n), n == size
		}
		size = min(4*size, limit)
	}
}

// fitText returns s, or the longest prefix of s ending at a character
// boundary followed by truncatedMarker, such that a DumpStacks reply
// carrying it encodes within prot.MaxOutboundMessageSize. It measures the
// encoding character by character in one pass and checks the result with
// one real encoding; should that ever disagree, it falls back to a search
// that encodes at every step.
func fitText(s, activityID string) string {
	limit := prot.MaxOutboundMessageSize - prot.MessageHeaderSize
	fixed := replySize(activityID, "")
	if fixed < 0 {
		return fitTextSearch(s, activityID)
	}
	room := limit - fixed // for the text's encoding between its quotes
	marker := jsonStringLen(truncatedMarker)
	total, cut := 0, 0
	for i := 0; i < len(s) && total <= room; {
		n, w := jsonRuneLen(s[i:])
		if total+marker <= room {
			cut = i // s[:i] and the marker fit
		}
		total += n
		i += w
	}
	out := s
	if total > room {
		out = s[:cut] + truncatedMarker
	}
	if n := replySize(activityID, out); n < 0 || n > limit {
		return fitTextSearch(s, activityID)
	}
	return out
}

// replySize is the encoded size of a DumpStacks reply carrying text, or
// -1 if it cannot be encoded.
func replySize(activityID, text string) int {
	b, err := json.Marshal(&prot.DumpStacksResponse{
		MessageResponseBase: prot.MessageResponseBase{ActivityID: activityID},
		GuestStacks:         text,
	})
	if err != nil {
		return -1
	}
	return len(b)
}

// jsonStringLen is the length of s encoded by encoding/json, quotes aside.
func jsonStringLen(s string) int {
	total := 0
	for i := 0; i < len(s); {
		n, w := jsonRuneLen(s[i:])
		total += n
		i += w
	}
	return total
}

// jsonRuneLen returns how many bytes encoding/json writes for the first
// character of s (a byte of invalid UTF-8 counts as one character) and how
// many bytes of s that character takes.
func jsonRuneLen(s string) (encoded, width int) {
	c := s[0]
	if c < utf8.RuneSelf {
		switch {
		case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
			return 2, 1
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			return 6, 1 // \u00XX
		default:
			return 1, 1
		}
	}
	r, w := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && w == 1 || r == '\u2028' || r == '\u2029' {
		return 6, w // \ufffd, \u2028, \u2029
	}
	return w, w
}

// fitTextSearch is fitText by binary search over prefix lengths, encoding
// the reply at every step. Every raw byte costs at least one encoded byte,
// so no prefix longer than the limit can fit, which bounds the search.
func fitTextSearch(s, activityID string) string {
	limit := prot.MaxOutboundMessageSize - prot.MessageHeaderSize
	fits := func(text string) bool {
		n := replySize(activityID, text)
		return n >= 0 && n <= limit
	}
	if len(s) <= limit && fits(s) {
		return s
	}
	lo, hi := 0, min(len(s), limit)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(s[:mid] + truncatedMarker) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	for lo > 0 && lo < len(s) && !utf8.RuneStart(s[lo]) {
		lo--
	}
	return s[:lo] + truncatedMarker
}
