package prot_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestHeaderEncodeDecode(t *testing.T) {
	tests := []struct {
		name string
		h    prot.MessageHeader
		wire []byte
	}{
		{"negotiate", prot.MessageHeader{Type: prot.ComputeSystemNegotiateProtocolV1, Size: 125, ID: 2},
			[]byte{0x01, 0x0b, 0x10, 0x10, 0x7d, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0}},
		{"notification id 0", prot.MessageHeader{Type: prot.ComputeSystemNotificationV1, Size: 200, ID: 0},
			[]byte{0x01, 0x01, 0x10, 0x30, 0xc8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"all fields wide", prot.MessageHeader{Type: 0x20abc001, Size: 0x00010000, ID: 0x0102030405060708},
			[]byte{0x01, 0xc0, 0xab, 0x20, 0x00, 0x00, 0x01, 0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}},
		{"max values", prot.MessageHeader{Type: 0xffffffff, Size: 0xffffffff, ID: 0xffffffffffffffff},
			bytes.Repeat([]byte{0xff}, 16)},
		{"zero", prot.MessageHeader{}, make([]byte, 16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := bytes.Repeat([]byte{0xaa}, prot.MessageHeaderSize+4)
			tt.h.Encode(buf)
			if !bytes.Equal(buf[:16], tt.wire) {
				t.Fatalf("Encode = % x\nwant     % x", buf[:16], tt.wire)
			}
			if !bytes.Equal(buf[16:], []byte{0xaa, 0xaa, 0xaa, 0xaa}) {
				t.Fatalf("Encode wrote past the header: % x", buf[16:])
			}
			got, err := prot.DecodeHeader(tt.wire)
			if err != nil || got != tt.h {
				t.Fatalf("DecodeHeader = %+v, %v; want %+v", got, err, tt.h)
			}
			// Extra trailing bytes are not part of the header.
			if got, err := prot.DecodeHeader(append(tt.wire, 0x55)); err != nil || got != tt.h {
				t.Fatalf("DecodeHeader with trailing byte = %+v, %v", got, err)
			}
		})
	}
	for _, n := range []int{0, 1, 15} {
		if _, err := prot.DecodeHeader(make([]byte, n)); err == nil {
			t.Errorf("DecodeHeader(%d bytes) succeeded", n)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Encode into 15 bytes did not panic")
			}
		}()
		prot.MessageHeader{}.Encode(make([]byte, 15))
	}()
}

// requestResponse pairs every named request identifier with its response.
var requestResponse = []struct{ req, resp prot.MessageIdentifier }{
	{prot.ComputeSystemCreateV1, prot.ComputeSystemResponseCreateV1},
	{prot.ComputeSystemStartV1, prot.ComputeSystemResponseStartV1},
	{prot.ComputeSystemShutdownGracefulV1, prot.ComputeSystemResponseShutdownGracefulV1},
	{prot.ComputeSystemShutdownForcedV1, prot.ComputeSystemResponseShutdownForcedV1},
	{prot.ComputeSystemExecuteProcessV1, prot.ComputeSystemResponseExecuteProcessV1},
	{prot.ComputeSystemWaitForProcessV1, prot.ComputeSystemResponseWaitForProcessV1},
	{prot.ComputeSystemSignalProcessV1, prot.ComputeSystemResponseSignalProcessV1},
	{prot.ComputeSystemResizeConsoleV1, prot.ComputeSystemResponseResizeConsoleV1},
	{prot.ComputeSystemGetPropertiesV1, prot.ComputeSystemResponseGetPropertiesV1},
	{prot.ComputeSystemModifySettingsV1, prot.ComputeSystemResponseModifySettingsV1},
	{prot.ComputeSystemNegotiateProtocolV1, prot.ComputeSystemResponseNegotiateProtocolV1},
	{prot.ComputeSystemDumpStacksV1, prot.ComputeSystemResponseDumpStacksV1},
	{prot.ComputeSystemDeleteContainerStateV1, prot.ComputeSystemResponseDeleteContainerStateV1},
	{prot.ComputeSystemUpdateContainerV1, 0x20100e01},
	{prot.ComputeSystemLifecycleNotificationV1, 0x20100f01},
	{prot.ComputeServiceModifySettingsV1, 0x20200101},
	// Unknown identifiers use the same rule (WIRE.md §1.4).
	{0x10abc001, 0x20abc001},
	{0x10100902, 0x20100902},
	{0, 0x20000000},
	{0x30100101, 0x20100101},
	{0x20100c01, 0x20100c01},
	{0xffffffff, 0x2fffffff},
}

func TestResponseIdentifier(t *testing.T) {
	for _, tt := range requestResponse {
		t.Run(tt.req.String(), func(t *testing.T) {
			got := prot.ResponseIdentifier(tt.req)
			if got != tt.resp {
				t.Fatalf("ResponseIdentifier(%#08x) = %#08x, want %#08x", uint32(tt.req), uint32(got), uint32(tt.resp))
			}
			if got.Type() != prot.MtResponse || uint32(got)&0x0fffffff != uint32(tt.req)&0x0fffffff {
				t.Fatalf("response %#08x must keep the low 28 bits of %#08x", uint32(got), uint32(tt.req))
			}
		})
	}
}

func TestMessageIdentifierFields(t *testing.T) {
	tests := []struct {
		mi       prot.MessageIdentifier
		typ      prot.MessageType
		cat      prot.MessageCategory
		id, vers uint32
	}{
		{prot.ComputeSystemModifySettingsV1, prot.MtRequest, prot.McComputeSystem, 0xa, 1},
		{prot.ComputeSystemResponseDeleteContainerStateV1, prot.MtResponse, prot.McComputeSystem, 0xd, 1},
		{prot.ComputeSystemNotificationV1, prot.MtNotification, prot.McComputeSystem, 1, 1},
		{prot.ComputeServiceModifySettingsV1, prot.MtRequest, 0x00200000, 1, 1},
		{0x10100902, prot.MtRequest, prot.McComputeSystem, 9, 2},
		{prot.MiNone, prot.MtNone, prot.McNone, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.mi.String(), func(t *testing.T) {
			if tt.mi.Type() != tt.typ || tt.mi.Category() != tt.cat || tt.mi.ID() != tt.id || tt.mi.Version() != tt.vers {
				t.Fatalf("%#08x: type %#x cat %#x id %#x version %d", uint32(tt.mi),
					uint32(tt.mi.Type()), uint32(tt.mi.Category()), tt.mi.ID(), tt.mi.Version())
			}
		})
	}
}

func TestMessageIdentifierString(t *testing.T) {
	tests := []struct {
		mi   prot.MessageIdentifier
		want string
	}{
		{prot.MiNone, "None"},
		{prot.ComputeSystemCreateV1, "ComputeSystemCreateV1"},
		{prot.ComputeSystemStartV1, "ComputeSystemStartV1"},
		{prot.ComputeSystemShutdownGracefulV1, "ComputeSystemShutdownGracefulV1"},
		{prot.ComputeSystemShutdownForcedV1, "ComputeSystemShutdownForcedV1"},
		{prot.ComputeSystemExecuteProcessV1, "ComputeSystemExecuteProcessV1"},
		{prot.ComputeSystemWaitForProcessV1, "ComputeSystemWaitForProcessV1"},
		{prot.ComputeSystemSignalProcessV1, "ComputeSystemSignalProcessV1"},
		{prot.ComputeSystemResizeConsoleV1, "ComputeSystemResizeConsoleV1"},
		{prot.ComputeSystemGetPropertiesV1, "ComputeSystemGetPropertiesV1"},
		{prot.ComputeSystemModifySettingsV1, "ComputeSystemModifySettingsV1"},
		{prot.ComputeSystemNegotiateProtocolV1, "ComputeSystemNegotiateProtocolV1"},
		{prot.ComputeSystemDumpStacksV1, "ComputeSystemDumpStacksV1"},
		{prot.ComputeSystemDeleteContainerStateV1, "ComputeSystemDeleteContainerStateV1"},
		{prot.ComputeSystemResponseCreateV1, "ComputeSystemResponseCreateV1"},
		{prot.ComputeSystemResponseDumpStacksV1, "ComputeSystemResponseDumpStacksV1"},
		{prot.ComputeSystemResponseNegotiateProtocolV1, "ComputeSystemResponseNegotiateProtocolV1"},
		{prot.ComputeSystemNotificationV1, "ComputeSystemNotificationV1"},
		// Not named by the reference: printed in decimal.
		{prot.ComputeSystemUpdateContainerV1, "269487617"},
		{0x10abc001, "279691265"},
		{0x10100902, "269486338"},
		{prot.ComputeSystemResponseDeleteContainerStateV1, "537922817"},
		{0xffffffff, "4294967295"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.mi.String(); got != tt.want {
				t.Fatalf("%#08x.String() = %q, want %q", uint32(tt.mi), got, tt.want)
			}
		})
	}
}

// The reference's E_NOTIMPL text ends in the request type's String(); every
// such capture must agree with ours.
func TestMessageIdentifierStringMatchesCaptures(t *testing.T) {
	n := 0
	for _, c := range loadCaptures(t) {
		var resp struct{ ErrorMessage string }
		if c.Response == nil || json.Unmarshal(c.Response, &resp) != nil {
			continue
		}
		const marker = "function not supported, header type: "
		_, name, ok := strings.Cut(resp.ErrorMessage, marker)
		if !ok {
			continue
		}
		n++
		if got := c.RequestHeader.ident(t).String(); got != name {
			t.Errorf("%s: String() = %q, reference printed %q", c.File, got, name)
		}
	}
	if n < 8 {
		t.Fatalf("only %d E_NOTIMPL captures", n)
	}
}

func msg(typ prot.MessageIdentifier, id prot.SequenceID, body string) []byte {
	return prot.AppendMessage(nil, typ, id, []byte(body))
}

func rawHeader(size uint32) []byte {
	b := make([]byte, prot.MessageHeaderSize)
	prot.MessageHeader{Type: prot.ComputeSystemDumpStacksV1, Size: size, ID: 7}.Encode(b)
	return b
}

func TestReadMessage(t *testing.T) {
	const max = 1 << 20
	body := `{"ContainerId":"","ActivityId":"00000000-0000-0000-0000-000000000000"}` + "\n"
	tests := []struct {
		name     string
		in       []byte
		max      uint32
		wantBody string
		framing  bool  // want *FramingError
		wantErr  error // want errors.Is
	}{
		{"normal", msg(prot.ComputeSystemNegotiateProtocolV1, 3, body), max, body, false, nil},
		{"followed by another", append(msg(prot.ComputeSystemStartV1, 1, "{}"), msg(prot.ComputeSystemStartV1, 2, "{}")...), max, "{}", false, nil},
		{"empty body", rawHeader(16), max, "", false, nil},
		{"size exactly max", append(rawHeader(20), "abcd"...), 20, "abcd", false, nil},
		{"size 0", rawHeader(0), max, "", true, nil},
		{"size 8 (capture s2)", rawHeader(8), max, "", true, nil},
		{"size 15", rawHeader(15), max, "", true, nil},
		{"size max+1", append(rawHeader(21), "abcde"...), 20, "", true, nil},
		{"size 4 GiB", rawHeader(0xffffffff), max, "", true, nil},
		{"truncated body", append(rawHeader(26), "short"...), max, "", false, io.ErrUnexpectedEOF},
		{"no body at all", rawHeader(17), max, "", false, io.ErrUnexpectedEOF},
		{"truncated header", rawHeader(16)[:9], max, "", false, io.ErrUnexpectedEOF},
		{"clean EOF", nil, max, "", false, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, got, err := prot.ReadMessage(bytes.NewReader(tt.in), tt.max)
			var fe *prot.FramingError
			switch {
			case tt.framing:
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want *FramingError", err)
				}
				want, _ := prot.DecodeHeader(tt.in)
				if fe.Header != want || h != want || got != nil || fe.Reason == "" {
					t.Fatalf("FramingError %+v, header %+v, body %q", fe, h, got)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) || errors.As(err, &fe) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tt.wantBody || len(got) != int(h.Size)-prot.MessageHeaderSize {
					t.Fatalf("body %q (header %+v), want %q", got, h, tt.wantBody)
				}
			}
		})
	}
	t.Run("sequence", func(t *testing.T) {
		r := bytes.NewReader(append(msg(prot.ComputeSystemStartV1, 1, "a"), msg(prot.ComputeSystemDumpStacksV1, 2, "bc")...))
		for i, want := range []string{"a", "bc"} {
			h, b, err := prot.ReadMessage(r, max)
			if err != nil || string(b) != want || h.ID != prot.SequenceID(i+1) {
				t.Fatalf("message %d: %+v %q %v", i, h, b, err)
			}
		}
		if _, _, err := prot.ReadMessage(r, max); err != io.EOF {
			t.Fatalf("after last message: %v, want io.EOF", err)
		}
	})
}

// A hostile Size must be rejected before the body buffer is allocated (the
// reference allocated ~4 GiB for Size 8).
func TestReadMessageOversizeDoesNotAllocate(t *testing.T) {
	for _, size := range []uint32{0xffffffff, 0x80000000, 8, 0} {
		hdr := rawHeader(size)
		r := bytes.NewReader(hdr)
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		allocs := testing.AllocsPerRun(50, func() {
			r.Reset(hdr)
			if _, _, err := prot.ReadMessage(r, 1<<20); err == nil {
				t.Fatal("oversize message accepted")
			}
		})
		runtime.ReadMemStats(&ms1)
		if allocs > 8 {
			t.Errorf("size %#x: %.0f allocations per rejected header", size, allocs)
		}
		if d := ms1.TotalAlloc - ms0.TotalAlloc; d > 1<<20 {
			t.Errorf("size %#x: %d bytes allocated for 51 rejected headers", size, d)
		}
	}
}

func TestAppendMessage(t *testing.T) {
	tests := []struct {
		name string
		typ  prot.MessageIdentifier
		id   prot.SequenceID
		body string
	}{
		{"empty", prot.ComputeSystemResponseStartV1, 0, ""},
		{"response", prot.ComputeSystemResponseStartV1, 5, `{"Result":0,"ActivityId":"00000000-0000-0000-0000-000000000000"}`},
		{"notification", prot.ComputeSystemNotificationV1, 0, `{"Type":"ForcedExit"}`},
		{"big id", prot.ComputeSystemResponseDumpStacksV1, 1 << 40, strings.Repeat("x", 70000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prefix")
			out := prot.AppendMessage(prefix, tt.typ, tt.id, []byte(tt.body))
			if string(out[:6]) != "prefix" || len(out) != 6+16+len(tt.body) {
				t.Fatalf("AppendMessage clobbered dst or wrong length %d", len(out))
			}
			want := make([]byte, 16)
			prot.MessageHeader{Type: tt.typ, Size: uint32(16 + len(tt.body)), ID: tt.id}.Encode(want)
			if !bytes.Equal(out[6:22], want) || string(out[22:]) != tt.body {
				t.Fatalf("header % x, want % x", out[6:22], want)
			}
			h, b, err := prot.ReadMessage(bytes.NewReader(out[6:]), 1<<20)
			if err != nil || h.Type != tt.typ || h.ID != tt.id || string(b) != tt.body {
				t.Fatalf("ReadMessage(AppendMessage) = %+v, %d bytes, %v", h, len(b), err)
			}
		})
	}
}
