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

// msgWriter is the single writer of a connection: each message is encoded
// into one buffer and written with one Write under the lock, so messages
// never interleave. After the first write error every later write fails
// fast and the connection is closed so the reader stops too.
type msgWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closer io.Closer
	buf    []byte
	err    error
}

func newMsgWriter(w io.Writer, c io.Closer) *msgWriter {
	return &msgWriter{w: w, closer: c}
}

// write sends one message whose body is already encoded.
func (mw *msgWriter) write(typ prot.MessageIdentifier, id prot.SequenceID, body []byte) error {
	size := prot.MessageHeaderSize + len(body)
	if size > prot.MaxOutboundMessageSize {
		return fmt.Errorf("%s message of %d bytes exceeds the %d-byte limit", typ, size, prot.MaxOutboundMessageSize)
	}
	mw.mu.Lock()
	defer mw.mu.Unlock()
	if mw.err != nil {
		return mw.err
	}
	mw.buf = prot.AppendMessage(mw.buf[:0], typ, id, body)
	if _, err := mw.w.Write(mw.buf); err != nil {
		mw.err = fmt.Errorf("write %s: %w", typ, err)
		mw.closer.Close()
		return mw.err
	}
	if cap(mw.buf) > 4*prot.MaxOutboundMessageSize {
		mw.buf = nil
	}
	return nil
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
