package hcsv2

import (
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/framework"
	"github.com/linux-gcs/gcs/internal/prot"
)

// TestHasSecurityPolicy checks that the confidential mode is on once a
// non-empty policy is set, whatever enforcer it gets (the open-door
// policy included), and off without one or with the empty policy, as the
// reference decides it (on the policy it was given).
func TestHasSecurityPolicy(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		initial policy.Enforcer
		policy  *string
		want    bool
		kind    string
	}{
		{"no policy", nil, nil, false, "open_door"},
		{"no policy, closed door", policy.ClosedDoor{}, nil, false, "closed_door"},
		{"empty policy", nil, ptr(""), false, "open_door"},
		{"empty policy after the closed door", policy.ClosedDoor{}, ptr(""), false, "open_door"},
		{"open-door policy", nil, ptr(framework.OpenDoorPolicy()), true, "open_door_policy"},
		{"open-door policy after the closed door", policy.ClosedDoor{}, ptr(framework.OpenDoorPolicy()), true, "open_door_policy"},
		{"open-door policy of an older API", nil, ptr(strings.Replace(framework.OpenDoorPolicy(), "0.12.0", "0.10.0", 1)), true, "open_door_policy"},
		{"a Rego policy", nil, ptr(customPolicy), true, "rego"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := logrus.New()
			log.SetOutput(io.Discard)
			h := NewHost(Options{Log: logrus.NewEntry(log), InitialEnforcer: tc.initial})
			if tc.policy != nil {
				if err := h.setSecurityPolicy(ctx, &prot.LCOWConfidentialOptions{
					EncodedSecurityPolicy: base64.StdEncoding.EncodeToString([]byte(*tc.policy)),
				}); err != nil {
					t.Fatal(err)
				}
			}
			if got := enforcerKind(h.enforcer()); got != tc.kind {
				t.Errorf("enforcer %s, want %s", got, tc.kind)
			}
			if got := h.hasSecurityPolicy(); got != tc.want {
				t.Fatalf("hasSecurityPolicy = %v, want %v", got, tc.want)
			}
			// The confidential rules follow: ids of 64 hex characters.
			if err := h.checkConfidentialID("not-hex", "container"); (err != nil) != tc.want {
				t.Errorf("checkConfidentialID(not-hex) = %v under confidential mode %v", err, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
