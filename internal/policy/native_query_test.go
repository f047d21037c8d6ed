package policy

import (
	"reflect"
	"testing"
)

// TestEnforcerTakesThePlansAnswer: a request the native plan answers is
// answered by it when the enforcer decides (not only when the plan is
// asked beside), with what OPA would answer; without a plan, or for a
// request the plan leaves to OPA, OPA answers.
func TestEnforcerTakesThePlansAnswer(t *testing.T) {
	code := string(mustReadFile(t, "testdata/native/policy.rego"))
	tests := []struct {
		name        string
		noFastPath  bool
		req         MountDevice
		wantAllowed bool
		wantPlanned uint64
	}{
		{"layer the plan knows", false, MountDevice{Target: "/run/mounts/scsi/m0", DeviceHash: "aa"}, true, 1},
		{"without a plan", true, MountDevice{Target: "/run/mounts/scsi/m0", DeviceHash: "aa"}, true, 0},
		{"unknown layer, left to OPA", false, MountDevice{Target: "/run/mounts/scsi/m0", DeviceHash: "zz"}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := quietOptions()
			opts.NoFastPath = tt.noFastPath
			p, err := NewRego(t.Context(), code, opts)
			if err != nil {
				t.Fatalf("install the shapes policy: %v", err)
			}
			d, err := p.MountDevice(t.Context(), tt.req)
			if (err == nil) != tt.wantAllowed {
				t.Fatalf("MountDevice %+v: %v, want allowed %v", tt.req, err, tt.wantAllowed)
			}
			if got := p.planned.Load(); got != tt.wantPlanned {
				t.Errorf("the plan answered %d decisions, want %d", got, tt.wantPlanned)
			}
			if err != nil {
				return
			}
			d.Commit()
			want := map[string]any{"devices": map[string]any{tt.req.Target: tt.req.DeviceHash}}
			if got := map[string]any(p.Metadata()); !reflect.DeepEqual(got["devices"], want["devices"]) {
				t.Errorf("metadata devices %v, want %v", got["devices"], want["devices"])
			}
		})
	}
}
