package hcsv2

import (
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestDecodeErrorsNeverQuoteTheBody(t *testing.T) {
	const secret = "s3cr3t-V4LUE"
	for _, tc := range []struct {
		name, body, says string
	}{
		{"truncated", `{"Environment":{"K":"` + secret + `"}`, "malformed JSON at byte offset"},
		{"bad character", `{"Environment":{"K":"` + secret + `"}x`, "malformed JSON at byte offset"},
		{"wrong type", `{"Environment":["K=` + secret + `"]}`, "cannot be stored in field ProcessParameters.Environment"},
		{"number out of range", `{"OciProcess":{"user":{"uid":1` + strings.Repeat("9", 40) + `}}}`, "a JSON number at byte offset"},
		{"empty", ``, "malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p prot.ProcessParameters
			err := decodeJSON([]byte(tc.body), &p, "ProcessParameters")
			if prot.HResultOf(err) != prot.HrVmcomputeInvalidJSON {
				t.Fatalf("HRESULT of %v is %s", err, prot.HResultOf(err))
			}
			msg := err.Error()
			if strings.Contains(msg, secret) || strings.Contains(msg, "99999") || !strings.Contains(msg, tc.says) {
				t.Fatalf("error %q", msg)
			}
		})
	}
}
