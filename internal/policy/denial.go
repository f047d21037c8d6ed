package policy

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Messages a denial carries when the policy gives no reason of its own.
const (
	invalidPolicyMessage = "Security policy is not valid. Please check security policy or re-generate with tooling."
	noReasonMessage      = "Security policy is either not valid or did not provide a reason for denial. Please check security policy or re-generate with tooling."
)

// DefaultMaxErrorLength bounds a denial's message when Options set none.
const DefaultMaxErrorLength = 16 * 1024

// maxPolicyErrorLength bounds the evaluation error quoted in a denial.
const maxPolicyErrorLength = 1024

// DenialError is a refused request. Its message is the decision as the
// reference guest reports it, "policyDecision< base64(JSON) >policyDecision",
// which host tooling decodes; the input in it has environment values and
// default capability lists redacted.
type DenialError struct {
	// Rule is the enforcement point that refused.
	Rule string
	// Decision is the decision object the message encodes: "decision",
	// "input", "reason", and "policyError" when the policy failed to
	// evaluate, "truncated" when parts were left out to bound the message.
	Decision map[string]any
	message  string
}

// Error returns the encoded decision.
func (e *DenialError) Error() string { return e.message }

// Reasons returns the policy's reasons (reason.errors), if it gave any.
func (e *DenialError) Reasons() []string {
	reason, _ := e.Decision["reason"].(map[string]any)
	list, _ := reason["errors"].([]any)
	var out []string
	for _, r := range list {
		if s, ok := r.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

var decisionPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`policyDecision< (.*) >policyDecision`) })

// ParseDecision extracts the decision object from a denial's message, as a
// host would.
func ParseDecision(message string) (map[string]any, error) {
	m := decisionPattern().FindStringSubmatch(message)
	if m == nil {
		return nil, fmt.Errorf("no policy decision in message")
	}
	raw, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		return nil, fmt.Errorf("decode policy decision: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("parse policy decision: %w", err)
	}
	return out, nil
}

// denial builds the error for a refused request. reason is the policy's
// reason object (nil for none); policyErr is set when evaluation failed.
func denial(rule string, input map[string]any, reason map[string]any, policyErr error, limit int) *DenialError {
	decision := map[string]any{"decision": "deny", "input": redactInput(input)}
	switch {
	case policyErr != nil:
		decision["reason"] = invalidPolicyMessage
		msg := policyErr.Error()
		if len(msg) > maxPolicyErrorLength {
			msg = msg[:maxPolicyErrorLength] + "..."
		}
		decision["policyError"] = msg
	case len(reason) == 0:
		decision["reason"] = noReasonMessage
	default:
		decision["reason"] = redactReason(reason)
	}
	if limit == 0 {
		limit = DefaultMaxErrorLength
	}
	return &DenialError{Rule: rule, Decision: decision, message: encodeBounded(decision, limit)}
}

func encode(decision map[string]any) string {
	raw, err := json.Marshal(decision)
	if err != nil {
		raw = []byte(`"Unable to marshal error object"`)
	}
	return "policyDecision< " + base64.StdEncoding.EncodeToString(raw) + " >policyDecision"
}

// encodeBounded leaves out, in turn, the reason's error objects, the input
// and the reason until the message fits in limit (limit < 0: no bound).
func encodeBounded(decision map[string]any, limit int) string {
	msg := encode(decision)
	if limit < 0 || len(msg) <= limit {
		return msg
	}
	var truncated []string
	drop := []func() bool{
		func() bool {
			reason, ok := decision["reason"].(map[string]any)
			if !ok {
				return false
			}
			if _, ok := reason["error_objects"]; !ok {
				return false
			}
			reason = maps.Clone(reason)
			delete(reason, "error_objects")
			decision["reason"] = reason
			truncated = append(truncated, "reason.error_objects")
			return true
		},
		func() bool {
			if _, ok := decision["input"]; !ok {
				return false
			}
			delete(decision, "input")
			truncated = append(truncated, "input")
			return true
		},
		func() bool {
			delete(decision, "reason")
			truncated = append(truncated, "reason")
			return true
		},
	}
	for _, step := range drop {
		if !step() {
			continue
		}
		decision["truncated"] = slices.Clone(truncated)
		if msg = encode(decision); len(msg) <= limit {
			break
		}
	}
	return msg
}

// redactInput copies input with each environment value replaced and the
// default capability lists named rather than listed.
func redactInput(input map[string]any) map[string]any {
	out := maps.Clone(input)
	if env, ok := input["envList"]; ok {
		out["envList"] = redactEnv(env)
	}
	return capsPlaceholder(out)
}

func redactEnv(env any) []any {
	out := []any{}
	list, _ := env.([]any)
	for _, item := range list {
		s, ok := item.(string)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(s, "=")
		out = append(out, name+"=<<redacted>>")
	}
	return out
}

func redactReason(reason map[string]any) map[string]any {
	objects, ok := reason["error_objects"].([]any)
	if !ok {
		return reason
	}
	out := maps.Clone(reason)
	replaced := make([]any, len(objects))
	for i, o := range objects {
		if obj, ok := o.(map[string]any); ok {
			replaced[i] = capsPlaceholder(maps.Clone(obj))
		} else {
			replaced[i] = o
		}
	}
	out["error_objects"] = replaced
	return out
}

// capsPlaceholder names obj's capabilities "[privileged]" or
// "[unprivileged]" when they are exactly that default: they are long.
func capsPlaceholder(obj map[string]any) map[string]any {
	caps, ok := obj["capabilities"].(map[string]any)
	if !ok {
		return obj
	}
	priv, unpriv := DefaultPrivilegedCapabilities(), DefaultUnprivilegedCapabilities()
	switch {
	case capsEqual(caps, priv, priv, priv, priv, nil):
		obj["capabilities"] = "[privileged]"
	case capsEqual(caps, unpriv, unpriv, nil, unpriv, nil):
		obj["capabilities"] = "[unprivileged]"
	}
	return obj
}

func capsEqual(caps map[string]any, bounding, effective, inheritable, permitted, ambient []string) bool {
	want := map[string][]string{
		"bounding": bounding, "effective": effective, "inheritable": inheritable,
		"permitted": permitted, "ambient": ambient,
	}
	for set, list := range want {
		got, ok := caps[set].([]any)
		if !ok || len(got) != len(list) {
			return false
		}
		for i, c := range got {
			if s, ok := c.(string); !ok || s != list[i] {
				return false
			}
		}
	}
	return true
}
