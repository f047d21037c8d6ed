package bridge

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/linux-gcs/gcs/internal/prot"
)

// maxErrorText bounds the text of an error reply before JSON escaping, so
// that even a fully escaped message, sent twice (ErrorMessage and the
// record), stays within one bridge message.
const maxErrorText = 4096

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

// write sends one message whose body is already encoded.
func (mw *msgWriter) write(typ prot.MessageIdentifier, id prot.SequenceID, body []byte) error {
	size := prot.MessageHeaderSize + len(body)
	if size > prot.MaxOutboundMessageSize {
		return fmt.Errorf("%s message of %d bytes exceeds the %d-byte limit", typ, size, prot.MaxOutboundMessageSize)
	}
	mw.mu.Lock()
	defer mw.mu.Unlock()
	for mw.err == nil && len(mw.pending) > 0 && len(mw.pending)+size > maxPendingBytes {
		mw.cond.Wait()
	}
	if mw.err != nil {
		return mw.err
	}
	mw.pending = prot.AppendMessage(mw.pending, typ, id, body)
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

// errorBody builds a bounded base-only failure reply.
func errorBody(activityID string, err error) *prot.MessageResponseBase {
	base := prot.ErrorResponse(activityID, err)
	if len(base.ErrorMessage) > maxErrorText {
		msg := base.ErrorMessage[:maxErrorText] + "...[truncated]"
		base.ErrorMessage = msg
		base.ErrorRecords[0].Message = msg
	}
	return base
}
