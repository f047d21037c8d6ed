package prot

import (
	"errors"
	"fmt"
)

// HResult is a Windows HRESULT as carried in a response's Result.
type HResult int32

// HRESULT values used on the bridge (WIRE.md §5). The uint32 forms are the
// documented hex values; the JSON carries them as signed 32-bit numbers.
const (
	HrOK                       HResult = 0
	HrNotImpl                  HResult = -2147467263 // 0x80004001 E_NOTIMPL
	HrFail                     HResult = -2147467259 // 0x80004005 E_FAIL
	HrElementNotFound          HResult = -2147023728 // 0x80070490 HRESULT_FROM_WIN32(ERROR_NOT_FOUND)
	HrInvalidArg               HResult = -2147024809 // 0x80070057 E_INVALIDARG
	HrVmcomputeTimeout         HResult = -1070137079 // 0xC0370109
	HrVmcomputeUnknownMessage  HResult = -1070137077 // 0xC037010B
	HrVmcomputeUnsupportedProt HResult = -1070137076 // 0xC037010C
	HrVmcomputeInvalidJSON     HResult = -1070137075 // 0xC037010D
	HrVmcomputeSystemNotFound  HResult = -1070137074 // 0xC037010E
	HrVmcomputeAlreadyExists   HResult = -1070137073 // 0xC037010F
	HrVmcomputeInvalidState    HResult = -2143878907 // 0x80370105
	HrVmcomputeAlreadyStopped  HResult = -1070137072 // 0xC0370110 (newer value)
)

// Hex renders h the way the reference does in error text: 0x and lowercase hex.
func (h HResult) Hex() string { return fmt.Sprintf("0x%x", uint32(h)) }

func (h HResult) String() string { return h.Hex() }

// Error is an error that carries an HRESULT, optionally wrapping a cause.
// Attach it where the failure is born; the bridge reports the outermost one.
type Error struct {
	HResult HResult
	Err     error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "HRESULT: " + e.HResult.Hex()
	}
	return "HRESULT " + e.HResult.Hex() + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError returns a bare HRESULT error, printed as "HRESULT: 0x…".
func NewError(hr HResult) error { return &Error{HResult: hr} }

// Errorf returns an HRESULT error whose cause is formatted from format and
// args; %w verbs wrap as with fmt.Errorf.
func Errorf(hr HResult, format string, args ...any) error {
	return &Error{HResult: hr, Err: fmt.Errorf(format, args...)}
}

// WithHResult attaches hr to err. It returns nil for a nil err.
func WithHResult(hr HResult, err error) error {
	if err == nil {
		return nil
	}
	return &Error{HResult: hr, Err: err}
}

// HResultOf returns the HRESULT of the outermost *Error in err's chain, HrOK
// for nil, and HrFail when the chain carries none.
func HResultOf(err error) HResult {
	if err == nil {
		return HrOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.HResult
	}
	return HrFail
}

// IsHResult reports whether err's HRESULT (as HResultOf) is hr.
func IsHResult(err error, hr HResult) bool { return HResultOf(err) == hr }
