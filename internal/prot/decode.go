package prot

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// UnmarshalJSON decodes b into v as json.Unmarshal does. A failure is an
// invalid-JSON (0xC037010D) error that says where decoding failed and the
// types involved (see DescribeJSONError), never quoting b: bodies may carry
// environment values or policy content, and the error goes into the reply
// and the log.
func UnmarshalJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return Errorf(HrVmcomputeInvalidJSON, "failed to unmarshal JSON (%T): %s", v, DescribeJSONError(err))
	}
	return nil
}

// DescribeJSONError explains a json.Unmarshal failure from its position
// and the types involved only. json's own text is not used: a type error's
// Value quotes the whole literal of an out-of-range number, so only its
// kind is kept.
func DescribeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte offset %d", syn.Offset)
	case errors.As(err, &typ):
		kind, _, _ := strings.Cut(typ.Value, " ")
		into := "a value"
		if typ.Field != "" {
			into = "field " + typ.Struct + "." + typ.Field
		}
		return fmt.Sprintf("a JSON %s at byte offset %d cannot be stored in %s of type %s", kind, typ.Offset, into, typ.Type)
	default:
		return fmt.Sprintf("a value was rejected (%T)", err)
	}
}
