package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/linux-gcs/gcs/internal/prot"
)

// maxErrorText bounds the text of an error reply before JSON escaping, so
// that even a fully escaped message, sent twice (ErrorMessage and the
// record), with a fully escaped ActivityId of maxIDBytes, stays within one
// bridge message.
const maxErrorText = 4096

// errTooLarge is the error of a write refused because its message is larger
// than prot.MaxOutboundMessageSize: unlike a failed connection, another
// connection would refuse it too.
var errTooLarge = errors.New("exceeds the bridge message limit")

// maxPendingBytes bounds the replies and notifications queued for the
// connection beyond the batch being written; a writer that does not fit
// waits for the batch under way to leave.
const maxPendingBytes = 256 << 10

// msgWriter is the single writer of a connection. Messages are appended to
// a pending buffer under the lock and never interleave. Writes are grouped:
// the first writer to find no write under way becomes the flusher and
// writes everything pending with one system call, again until nothing is
// left, while the others wait for their message to be on the wire. So a
// write returns only once its message was written (or the connection
// failed), and with many replies ready at once they share system calls.
// After the first write error every write fails fast and the connection is
// closed so the reader stops too.
//
// Memory is bounded: a writer whose message would take pending beyond
// maxPendingBytes waits until the batch under way has left, so at most two
// buffers of that size exist (the batch being written and the next).
type msgWriter struct {
	mu       sync.Mutex
	cond     sync.Cond
	w        io.Writer
	closer   io.Closer
	pending  []byte
	spare    []byte
	appended uint64 // messages appended so far
	done     uint64 // messages whose write finished (well or not)
	good     uint64 // messages known written
	flushing bool
	err      error
}

func newMsgWriter(w io.Writer, c io.Closer) *msgWriter {
	mw := &msgWriter{w: w, closer: c}
	mw.cond.L = &mw.mu
	return mw
}

// write sends one message whose body is already encoded. A message larger
// than one bridge message is refused with an error wrapping errTooLarge.
func (mw *msgWriter) write(typ prot.MessageIdentifier, id prot.SequenceID, body []byte) error {
	size := prot.MessageHeaderSize + len(body)
	if size > prot.MaxOutboundMessageSize {
		return fmt.Errorf("write %s message of %d bytes: %w of %d bytes", typ, size, errTooLarge, prot.MaxOutboundMessageSize)
	}
	return mw.send(size, func(dst []byte) []byte { return prot.AppendMessage(dst, typ, id, body) })
}

// writeResponse sends a reply, encoding it straight into the pending
// buffer once there is room, so that a reply waiting for its turn holds no
// encoded copy. A success that would not fit one bridge message becomes an
// error reply, as with encodeResponse.
func (mw *msgWriter) writeResponse(typ prot.MessageIdentifier, id prot.SequenceID, resp prot.Response) error {
	return mw.send(prot.MaxOutboundMessageSize, func(dst []byte) []byte { return appendResponse(dst, typ, id, resp) })
}

// send appends one message with appendMsg, which adds at most room bytes,
// and returns once it was written (or the connection failed).
func (mw *msgWriter) send(room int, appendMsg func([]byte) []byte) error {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	for mw.err == nil && len(mw.pending) > 0 && len(mw.pending)+room > maxPendingBytes {
		mw.cond.Wait()
	}
	if mw.err != nil {
		return mw.err
	}
	mw.pending = appendMsg(mw.pending)
	mw.appended++
	mine := mw.appended
	for mw.flushing && mw.done < mine {
		mw.cond.Wait()
	}
	if mw.done < mine {
		mw.flush()
	}
	if mine <= mw.good {
		return nil
	}
	return mw.err
}

// flush writes pending batches until none is left; called with the lock
// held, which it releases around each system call.
func (mw *msgWriter) flush() {
	mw.flushing = true
	for len(mw.pending) > 0 && mw.err == nil {
		// The batch leaves pending and the spare becomes pending: from here
		// until the write returns, buf belongs to the write alone.
		buf, upto := mw.pending, mw.appended
		mw.pending, mw.spare = mw.spare[:0], nil
		mw.cond.Broadcast() // room for writers waiting on the bound
		mw.mu.Unlock()
		_, err := mw.w.Write(buf)
		mw.mu.Lock()
		mw.spare = buf[:0] // at most maxPendingBytes, so always worth keeping
		if err != nil {
			mw.err = fmt.Errorf("write to the host: %w", err)
			mw.closer.Close()
		} else {
			mw.good = upto
		}
		mw.done = upto
		mw.cond.Broadcast()
	}
	if mw.err != nil {
		// Nothing more will be written: release every waiter.
		mw.pending = nil
		mw.done = mw.appended
	}
	mw.flushing = false
	mw.cond.Broadcast()
}

// encodeResponse renders a reply. A success that would not fit one bridge
// message becomes an error reply instead, which always fits.
func encodeResponse(resp prot.Response) []byte {
	b, err := json.Marshal(resp)
	if err == nil && len(b)+prot.MessageHeaderSize <= prot.MaxOutboundMessageSize {
		return b
	}
	if err == nil {
		err = fmt.Errorf("reply of %d bytes exceeds the %d-byte bridge message limit", len(b)+prot.MessageHeaderSize, prot.MaxOutboundMessageSize)
	}
	b, _ = json.Marshal(errorBody(resp.Base().ActivityID, prot.WithHResult(prot.HrFail, err)))
	return b
}

// appendResponse appends the reply message for resp to dst, encoded as
// encodeResponse does.
func appendResponse(dst []byte, typ prot.MessageIdentifier, id prot.SequenceID, resp prot.Response) []byte {
	start := len(dst)
	if b, ok := resp.(*prot.MessageResponseBase); ok && b.ErrorMessage == "" && len(b.ErrorRecords) == 0 &&
		len(b.ActivityID) <= maxIDBytes && plainJSON(b.ActivityID) {
		// A bare success, the commonest reply: the bytes json would write,
		// which with an ActivityId so bounded always fit one message.
		dst = append(dst, make([]byte, prot.MessageHeaderSize)...)
		dst = append(dst, `{"Result":`...)
		dst = strconv.AppendInt(dst, int64(b.Result), 10)
		if b.ActivityID != "" {
			dst = append(dst, `,"ActivityId":"`...)
			dst = append(dst, b.ActivityID...)
			dst = append(dst, '"')
		}
		dst = append(dst, '}')
		prot.MessageHeader{Type: typ, Size: uint32(len(dst) - start), ID: id}.Encode(dst[start:])
		return dst
	}
	buf := bytes.NewBuffer(append(dst, make([]byte, prot.MessageHeaderSize)...))
	err := json.NewEncoder(buf).Encode(resp) // as json.Marshal, plus a newline
	dst = buf.Bytes()
	if err != nil || len(dst)-1-start > prot.MaxOutboundMessageSize {
		return prot.AppendMessage(dst[:start], typ, id, encodeResponse(resp))
	}
	dst = dst[:len(dst)-1]
	prot.MessageHeader{Type: typ, Size: uint32(len(dst) - start), ID: id}.Encode(dst[start:])
	return dst
}

// plainJSON reports whether json encodes s as its bytes between quotes:
// printable ASCII that json neither escapes nor HTML-escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// errorBody builds a base-only failure reply that always fits one bridge
// message: its text is trimmed to maxErrorText and an ActivityId longer
// than maxIDBytes is left out.
func errorBody(activityID string, err error) *prot.MessageResponseBase {
	if len(activityID) > maxIDBytes {
		activityID = ""
	}
	base := prot.ErrorResponse(activityID, err)
	if len(base.ErrorMessage) > maxErrorText {
		msg := base.ErrorMessage[:maxErrorText] + "...[truncated]"
		base.ErrorMessage = msg
		base.ErrorRecords[0].Message = msg
	}
	return base
}
