package client

import (
	"errors"
	"fmt"
	"strings"

	"github.com/linux-gcs/gcs/internal/prot"
)

// ErrClosed is the error of calls made on, or pending when, a Client is
// closed with Close. Err returns it after Close.
var ErrClosed = errors.New("gcs: client closed")

// Error is a request the GCS answered with a non-zero Result.
type Error struct {
	// Type is the request's message identifier.
	Type prot.MessageIdentifier
	// HResult is the response's Result.
	HResult prot.HResult
	// Message is the response's ErrorMessage.
	Message string
	// Records are the response's ErrorRecords.
	Records []prot.ErrorRecord
}

// Error returns "gcs: <request type>: HRESULT 0x<hex>: <message>".
func (e *Error) Error() string {
	if strings.HasPrefix(e.Message, "HRESULT") {
		// The GCS already named the HRESULT in its message.
		return fmt.Sprintf("gcs: %s: %s", e.Type, e.Message)
	}
	s := fmt.Sprintf("gcs: %s: HRESULT %s", e.Type, e.HResult.Hex())
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// HResult returns the HRESULT carried by err: HrOK (0) for nil, the
// HResult of the first *Error (or else *prot.Error) in err's chain, and
// prot.HrFail for any other error.
func HResult(err error) prot.HResult {
	if err == nil {
		return prot.HrOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.HResult
	}
	var pe *prot.Error
	if errors.As(err, &pe) {
		return pe.HResult
	}
	return prot.HrFail
}

// ProtocolError reports a message from the GCS that breaks the bridge
// protocol. It ends the client: Err returns it (wrapped).
type ProtocolError struct {
	// Header is the header of the offending message.
	Header prot.MessageHeader
	// Reason says what is wrong with it.
	Reason string
	// Err is the underlying cause, if any.
	Err error
}

// Error describes the violation and the offending header.
func (e *ProtocolError) Error() string {
	s := fmt.Sprintf("gcs: protocol violation: %s (message type 0x%08x, size %d, id %d)",
		e.Reason, uint32(e.Header.Type), e.Header.Size, e.Header.ID)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *ProtocolError) Unwrap() error { return e.Err }
