package prot

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Bit layout of a message identifier (the Type field of the header):
//
//	+------+----------+------------+---------+
//	| type | category | message id | version |
//	| 4    | 8        | 12         | 8 bits  |
//	+------+----------+------------+---------+
const (
	messageTypeMask     = 0xF0000000
	messageCategoryMask = 0x0FF00000
	messageIDMask       = 0x000FFF00
	messageVersionMask  = 0x000000FF
	messageIDShift      = 8
)

// MessageType is the top nibble of a message identifier.
type MessageType uint32

// Message types.
const (
	MtNone         MessageType = 0
	MtRequest      MessageType = 0x10000000
	MtResponse     MessageType = 0x20000000
	MtNotification MessageType = 0x30000000
)

// MessageCategory routes families of messages; Linux only uses compute system.
type MessageCategory uint32

// Message categories.
const (
	McNone          MessageCategory = 0
	McComputeSystem MessageCategory = 0x00100000
)

// MessageIdentifier is the Type field of a MessageHeader.
type MessageIdentifier uint32

// Message identifiers. Every request's response identifier is derived by
// ResponseIdentifier; DeleteContainerState has no named response constant in
// the reference, so one is named here for completeness.
const (
	MiNone MessageIdentifier = 0

	ComputeSystemCreateV1               MessageIdentifier = 0x10100101
	ComputeSystemStartV1                MessageIdentifier = 0x10100201
	ComputeSystemShutdownGracefulV1     MessageIdentifier = 0x10100301
	ComputeSystemShutdownForcedV1       MessageIdentifier = 0x10100401
	ComputeSystemExecuteProcessV1       MessageIdentifier = 0x10100501
	ComputeSystemWaitForProcessV1       MessageIdentifier = 0x10100601
	ComputeSystemSignalProcessV1        MessageIdentifier = 0x10100701
	ComputeSystemResizeConsoleV1        MessageIdentifier = 0x10100801
	ComputeSystemGetPropertiesV1        MessageIdentifier = 0x10100901
	ComputeSystemModifySettingsV1       MessageIdentifier = 0x10100a01
	ComputeSystemNegotiateProtocolV1    MessageIdentifier = 0x10100b01
	ComputeSystemDumpStacksV1           MessageIdentifier = 0x10100c01
	ComputeSystemDeleteContainerStateV1 MessageIdentifier = 0x10100d01

	// Host-defined identifiers the Linux GCS does not implement.
	ComputeSystemUpdateContainerV1       MessageIdentifier = 0x10100e01
	ComputeSystemLifecycleNotificationV1 MessageIdentifier = 0x10100f01
	ComputeServiceModifySettingsV1       MessageIdentifier = 0x10200101

	ComputeSystemResponseCreateV1               MessageIdentifier = 0x20100101
	ComputeSystemResponseStartV1                MessageIdentifier = 0x20100201
	ComputeSystemResponseShutdownGracefulV1     MessageIdentifier = 0x20100301
	ComputeSystemResponseShutdownForcedV1       MessageIdentifier = 0x20100401
	ComputeSystemResponseExecuteProcessV1       MessageIdentifier = 0x20100501
	ComputeSystemResponseWaitForProcessV1       MessageIdentifier = 0x20100601
	ComputeSystemResponseSignalProcessV1        MessageIdentifier = 0x20100701
	ComputeSystemResponseResizeConsoleV1        MessageIdentifier = 0x20100801
	ComputeSystemResponseGetPropertiesV1        MessageIdentifier = 0x20100901
	ComputeSystemResponseModifySettingsV1       MessageIdentifier = 0x20100a01
	ComputeSystemResponseNegotiateProtocolV1    MessageIdentifier = 0x20100b01
	ComputeSystemResponseDumpStacksV1           MessageIdentifier = 0x20100c01
	ComputeSystemResponseDeleteContainerStateV1 MessageIdentifier = 0x20100d01

	ComputeSystemNotificationV1 MessageIdentifier = 0x30100101
)

var identifierNames = map[MessageIdentifier]string{
	MiNone:                                   "None",
	ComputeSystemCreateV1:                    "ComputeSystemCreateV1",
	ComputeSystemStartV1:                     "ComputeSystemStartV1",
	ComputeSystemShutdownGracefulV1:          "ComputeSystemShutdownGracefulV1",
	ComputeSystemShutdownForcedV1:            "ComputeSystemShutdownForcedV1",
	ComputeSystemExecuteProcessV1:            "ComputeSystemExecuteProcessV1",
	ComputeSystemWaitForProcessV1:            "ComputeSystemWaitForProcessV1",
	ComputeSystemSignalProcessV1:             "ComputeSystemSignalProcessV1",
	ComputeSystemResizeConsoleV1:             "ComputeSystemResizeConsoleV1",
	ComputeSystemGetPropertiesV1:             "ComputeSystemGetPropertiesV1",
	ComputeSystemModifySettingsV1:            "ComputeSystemModifySettingsV1",
	ComputeSystemNegotiateProtocolV1:         "ComputeSystemNegotiateProtocolV1",
	ComputeSystemDumpStacksV1:                "ComputeSystemDumpStacksV1",
	ComputeSystemDeleteContainerStateV1:      "ComputeSystemDeleteContainerStateV1",
	ComputeSystemResponseCreateV1:            "ComputeSystemResponseCreateV1",
	ComputeSystemResponseStartV1:             "ComputeSystemResponseStartV1",
	ComputeSystemResponseShutdownGracefulV1:  "ComputeSystemResponseShutdownGracefulV1",
	ComputeSystemResponseShutdownForcedV1:    "ComputeSystemResponseShutdownForcedV1",
	ComputeSystemResponseExecuteProcessV1:    "ComputeSystemResponseExecuteProcessV1",
	ComputeSystemResponseWaitForProcessV1:    "ComputeSystemResponseWaitForProcessV1",
	ComputeSystemResponseSignalProcessV1:     "ComputeSystemResponseSignalProcessV1",
	ComputeSystemResponseResizeConsoleV1:     "ComputeSystemResponseResizeConsoleV1",
	ComputeSystemResponseGetPropertiesV1:     "ComputeSystemResponseGetPropertiesV1",
	ComputeSystemResponseModifySettingsV1:    "ComputeSystemResponseModifySettingsV1",
	ComputeSystemResponseNegotiateProtocolV1: "ComputeSystemResponseNegotiateProtocolV1",
	ComputeSystemResponseDumpStacksV1:        "ComputeSystemResponseDumpStacksV1",
	ComputeSystemNotificationV1:              "ComputeSystemNotificationV1",
}

// String returns the reference's name for a known identifier and the decimal
// value for any other, as the reference prints it in error messages.
func (mi MessageIdentifier) String() string {
	if s, ok := identifierNames[mi]; ok {
		return s
	}
	return fmt.Sprintf("%d", uint32(mi))
}

// Type returns the message type nibble of mi.
func (mi MessageIdentifier) Type() MessageType { return MessageType(uint32(mi) & messageTypeMask) }

// Category returns the category bits of mi.
func (mi MessageIdentifier) Category() MessageCategory {
	return MessageCategory(uint32(mi) & messageCategoryMask)
}

// ID returns the 12-bit message id of mi.
func (mi MessageIdentifier) ID() uint32 { return (uint32(mi) & messageIDMask) >> messageIDShift }

// Version returns the version byte of mi.
func (mi MessageIdentifier) Version() uint32 { return uint32(mi) & messageVersionMask }

// ResponseIdentifier derives the response identifier of any request
// identifier, known or not, by replacing the type nibble with MtResponse.
func ResponseIdentifier(request MessageIdentifier) MessageIdentifier {
	return MessageIdentifier(uint32(MtResponse) | uint32(request)&^messageTypeMask)
}

// SequenceID correlates a request with its response.
type SequenceID uint64

// MessageHeaderSize is the length of the encoded MessageHeader.
const MessageHeaderSize = 16

// MaxOutboundMessageSize is the largest message, header included, the
// reference host accepts; a larger one makes it tear the bridge down.
const MaxOutboundMessageSize = 0x10000

// MessageHeader precedes every message on the bridge. Size counts the header.
type MessageHeader struct {
	Type MessageIdentifier
	Size uint32
	ID   SequenceID
}

// Encode writes h in wire order (little endian) into b, which must hold at
// least MessageHeaderSize bytes.
func (h MessageHeader) Encode(b []byte) {
	_ = b[MessageHeaderSize-1]
	binary.LittleEndian.PutUint32(b[0:4], uint32(h.Type))
	binary.LittleEndian.PutUint32(b[4:8], h.Size)
	binary.LittleEndian.PutUint64(b[8:16], uint64(h.ID))
}

// DecodeHeader decodes a header from the first MessageHeaderSize bytes of b.
func DecodeHeader(b []byte) (MessageHeader, error) {
	if len(b) < MessageHeaderSize {
		return MessageHeader{}, fmt.Errorf("header needs %d bytes, have %d", MessageHeaderSize, len(b))
	}
	return MessageHeader{
		Type: MessageIdentifier(binary.LittleEndian.Uint32(b[0:4])),
		Size: binary.LittleEndian.Uint32(b[4:8]),
		ID:   SequenceID(binary.LittleEndian.Uint64(b[8:16])),
	}, nil
}

// FramingError reports a header that cannot start a valid message. The
// stream it came from cannot be resynchronised and must be dropped.
type FramingError struct {
	Header MessageHeader
	Reason string
}

func (e *FramingError) Error() string {
	return fmt.Sprintf("bad message framing (type %s, size %d, id %d): %s",
		e.Header.Type, e.Header.Size, e.Header.ID, e.Reason)
}

// ReadMessage reads one header and its body from r. maxSize bounds the whole
// message (header included); a header announcing less than MessageHeaderSize
// or more than maxSize yields a *FramingError before anything is allocated.
func ReadMessage(r io.Reader, maxSize uint32) (MessageHeader, []byte, error) {
	var hb [MessageHeaderSize]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return MessageHeader{}, nil, err
	}
	h, _ := DecodeHeader(hb[:])
	switch {
	case h.Size < MessageHeaderSize:
		return h, nil, &FramingError{Header: h, Reason: "size smaller than the header"}
	case h.Size > maxSize:
		return h, nil, &FramingError{Header: h, Reason: fmt.Sprintf("size above the limit of %d bytes", maxSize)}
	}
	body := make([]byte, h.Size-MessageHeaderSize)
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return h, nil, fmt.Errorf("read body of %d bytes: %w", len(body), err)
	}
	return h, body, nil
}

// AppendMessage appends the encoded message (header with Size filled in, then
// body) to dst and returns the result.
func AppendMessage(dst []byte, typ MessageIdentifier, id SequenceID, body []byte) []byte {
	var hb [MessageHeaderSize]byte
	MessageHeader{Type: typ, Size: uint32(MessageHeaderSize + len(body)), ID: id}.Encode(hb[:])
	dst = append(dst, hb[:]...)
	return append(dst, body...)
}
