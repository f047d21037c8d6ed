package prot_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	pkgerrors "github.com/pkg/errors"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestHResultOf(t *testing.T) {
	notFound := prot.NewError(prot.HrVmcomputeSystemNotFound)
	tests := []struct {
		name string
		err  error
		want prot.HResult
	}{
		{"nil", nil, prot.HrOK},
		{"bare", notFound, prot.HrVmcomputeSystemNotFound},
		{"with cause", prot.WithHResult(prot.HrElementNotFound, os.ErrNotExist), prot.HrElementNotFound},
		{"Errorf", prot.Errorf(prot.HrVmcomputeTimeout, "wait %d", 1), prot.HrVmcomputeTimeout},
		{"fmt %w", fmt.Errorf("lookup: %w", notFound), prot.HrVmcomputeSystemNotFound},
		{"fmt %w twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", notFound)), prot.HrVmcomputeSystemNotFound},
		{"pkg/errors Wrap", pkgerrors.Wrap(notFound, "lookup"), prot.HrVmcomputeSystemNotFound},
		{"pkg/errors Wrapf", pkgerrors.Wrapf(prot.NewError(prot.HrInvalidArg), "id %q", "x/y"), prot.HrInvalidArg},
		{"pkg/errors WithStack", pkgerrors.WithStack(notFound), prot.HrVmcomputeSystemNotFound},
		{"nested, outermost wins",
			prot.WithHResult(prot.HrVmcomputeInvalidJSON, fmt.Errorf("x: %w", prot.NewError(prot.HrInvalidArg))),
			prot.HrVmcomputeInvalidJSON},
		{"nested through pkg/errors, outermost wins",
			pkgerrors.Wrap(prot.WithHResult(prot.HrVmcomputeAlreadyExists, pkgerrors.Wrap(notFound, "inner")), "outer"),
			prot.HrVmcomputeAlreadyExists},
		{"errors.Join takes the first", errors.Join(errors.New("plain"), notFound), prot.HrVmcomputeSystemNotFound},
		{"plain", errors.New("boom"), prot.HrFail},
		{"plain pkg/errors", pkgerrors.New("boom"), prot.HrFail},
		{"wrapped plain", fmt.Errorf("ctx: %w", io.EOF), prot.HrFail},
		{"explicit OK is returned as is", prot.NewError(prot.HrOK), prot.HrOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := prot.HResultOf(tt.err); got != tt.want {
				t.Fatalf("HResultOf(%v) = %s, want %s", tt.err, got, tt.want)
			}
			if !prot.IsHResult(tt.err, tt.want) {
				t.Fatalf("IsHResult(%v, %s) = false", tt.err, tt.want)
			}
		})
	}
}

func TestHResultErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"bare", prot.NewError(prot.HrVmcomputeSystemNotFound), "HRESULT: 0xc037010e"},
		{"bare E_NOTIMPL", prot.NewError(prot.HrNotImpl), "HRESULT: 0x80004001"},
		{"cause", prot.WithHResult(prot.HrVmcomputeInvalidJSON, errors.New("cause")), "HRESULT 0xc037010d: cause"},
		{"Errorf", prot.Errorf(prot.HrVmcomputeInvalidJSON, "invalid schema version: %v", struct{ A, B int }{2, 0}),
			"HRESULT 0xc037010d: invalid schema version: {2 0}"},
		{"outer context", fmt.Errorf("failed to unmarshal: %w", prot.WithHResult(prot.HrVmcomputeInvalidJSON, errors.New("x"))),
			"failed to unmarshal: HRESULT 0xc037010d: x"},
		{"pkg/errors context", pkgerrors.Wrap(prot.NewError(prot.HrVmcomputeInvalidState), `container is not in state "created"`),
			`container is not in state "created": HRESULT: 0x80370105`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Fatalf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	if prot.WithHResult(prot.HrFail, nil) != nil {
		t.Error("WithHResult(hr, nil) != nil")
	}
	cause := errors.New("cause")
	for _, err := range []error{prot.WithHResult(prot.HrFail, cause), prot.Errorf(prot.HrFail, "ctx: %w", cause)} {
		if !errors.Is(err, cause) {
			t.Errorf("%v does not unwrap to its cause", err)
		}
	}
	if got := prot.HrOK.Hex(); got != "0x0" {
		t.Errorf("HrOK.Hex() = %q", got)
	}
	if got := prot.HrFail.String(); got != "0x80004005" {
		t.Errorf("HrFail.String() = %q", got)
	}
}

// hresultTable is WIRE.md §5 (HrVmcomputeAlreadyStopped uses the [newer]
// value, which is also what the recorded reference sent, capture s1_047).
var hresultTable = []struct {
	name string
	hr   prot.HResult
	hex  uint32
	dec  int32
}{
	{"OK", prot.HrOK, 0x00000000, 0},
	{"E_NOTIMPL", prot.HrNotImpl, 0x80004001, -2147467263},
	{"E_FAIL", prot.HrFail, 0x80004005, -2147467259},
	{"ERROR_NOT_FOUND", prot.HrElementNotFound, 0x80070490, -2147023728},
	{"E_INVALIDARG", prot.HrInvalidArg, 0x80070057, -2147024809},
	{"timeout", prot.HrVmcomputeTimeout, 0xC0370109, -1070137079},
	{"unknown message", prot.HrVmcomputeUnknownMessage, 0xC037010B, -1070137077},
	{"unsupported protocol", prot.HrVmcomputeUnsupportedProt, 0xC037010C, -1070137076},
	{"invalid JSON", prot.HrVmcomputeInvalidJSON, 0xC037010D, -1070137075},
	{"system not found", prot.HrVmcomputeSystemNotFound, 0xC037010E, -1070137074},
	{"already exists", prot.HrVmcomputeAlreadyExists, 0xC037010F, -1070137073},
	{"invalid state", prot.HrVmcomputeInvalidState, 0x80370105, -2143878907},
	{"already stopped", prot.HrVmcomputeAlreadyStopped, 0xC0370110, -1070137072},
}

func TestHResultConstants(t *testing.T) {
	for _, tt := range hresultTable {
		t.Run(tt.name, func(t *testing.T) {
			if uint32(tt.hr) != tt.hex || int32(tt.hr) != tt.dec {
				t.Fatalf("%s = %#08x (%d), WIRE.md §5 says %#08x (%d)", tt.name, uint32(tt.hr), int32(tt.hr), tt.hex, tt.dec)
			}
			if want := fmt.Sprintf("0x%x", tt.hex); tt.hr.Hex() != want {
				t.Fatalf("Hex() = %q, want %q", tt.hr.Hex(), want)
			}
		})
	}
}

// Every HRESULT the reference put in a recorded response is one prot names.
func TestHResultConstantsCoverCaptures(t *testing.T) {
	known := map[int32]bool{}
	for _, tt := range hresultTable {
		known[int32(tt.hr)] = true
	}
	seen := map[int32]bool{}
	for _, c := range loadCaptures(t) {
		var r struct{ Result *int32 }
		if c.Response == nil {
			continue
		}
		if err := json.Unmarshal(c.Response, &r); err != nil || r.Result == nil {
			t.Fatalf("%s: response without Result (%v)", c.File, err)
		}
		seen[*r.Result] = true
		if !known[*r.Result] {
			t.Errorf("%s: Result %#08x has no prot constant", c.File, uint32(*r.Result))
		}
	}
	if len(seen) < 8 {
		t.Fatalf("only %d distinct Results seen", len(seen))
	}
}

// If WIRE.md is reachable (shared/ beside the module), check the table above
// against the document itself rather than trusting the transcription.
func TestHResultConstantsMatchWireDoc(t *testing.T) {
	shared := sharedCapturesDir()
	if shared == "" {
		t.Skip("shared/spec not found")
	}
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(shared), "WIRE.md"))
	if err != nil {
		t.Skip("WIRE.md not found:", err)
	}
	row := regexp.MustCompile("(?m)^\\| `0x([0-9A-Fa-f]{8})` \\| `(-?\\d+)` \\|")
	rows := row.FindAllStringSubmatch(string(doc), -1)
	if len(rows) < 12 {
		t.Fatalf("found %d HRESULT rows in WIRE.md §5", len(rows))
	}
	byHex := map[uint32]int32{}
	for _, tt := range hresultTable {
		byHex[tt.hex] = tt.dec
	}
	for _, m := range rows {
		hex, _ := strconv.ParseUint(m[1], 16, 32)
		dec, _ := strconv.ParseInt(m[2], 10, 32)
		if int32(uint32(hex)) != int32(dec) {
			t.Errorf("WIRE.md row %s: hex and decimal disagree", m[0])
		}
		if hex == 0x80370110 { // seed value of "already stopped"; prot uses the [newer] 0xC0370110
			continue
		}
		if d, ok := byHex[uint32(hex)]; !ok || d != int32(dec) {
			t.Errorf("WIRE.md row %s has no matching prot constant", m[0])
		}
	}
}

func TestErrorResponseFromHResults(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		result prot.HResult
		msg    string
	}{
		{"bare", prot.NewError(prot.HrVmcomputeSystemNotFound), prot.HrVmcomputeSystemNotFound, "HRESULT: 0xc037010e"},
		{"wrapped", pkgerrors.Wrap(prot.NewError(prot.HrElementNotFound), "pid 7"), prot.HrElementNotFound, "pid 7: HRESULT: 0x80070490"},
		{"plain", errors.New("runc failed"), prot.HrFail, "runc failed"},
		{"explicit OK becomes E_FAIL", prot.NewError(prot.HrOK), prot.HrFail, "HRESULT: 0x0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := prot.ErrorResponse("act", tt.err)
			if r.Result != int32(tt.result) || r.ErrorMessage != tt.msg || r.ActivityID != "act" || len(r.ErrorRecords) != 1 {
				t.Fatalf("ErrorResponse = %+v", r)
			}
			rec := r.ErrorRecords[0]
			if rec.Result != r.Result || rec.Message != tt.msg || rec.ModuleName != "gcs" || rec.Line != 0xffffffff {
				t.Fatalf("ErrorRecord = %+v", rec)
			}
		})
	}
}
