package main

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/framework"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// policyID is the only container id shape a GCS under a security policy
// accepts.
var policyID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestPodIDs: a pod run without --id, or with a 64-hex one, names every
// container as a security policy wants (64 hex digits, distinct, the same
// for pod rm); a pod named by hand keeps POD-1, POD-2, ...
func TestPodIDs(t *testing.T) {
	tests := []struct {
		name      string
		pod       string
		wantHex   bool
		wantFirst string // the first workload's id, when known
	}{
		{"named by hand", "p1", false, "p1-1"},
		{"64-hex id", strings.Repeat("ab", 32), true, ""},
		{"random id (pod run without --id)", newID(), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &podOptions{id: tt.pod}
			ids := []string{o.id, o.workloadID(1), o.workloadID(2)}
			if tt.wantFirst != "" && ids[1] != tt.wantFirst {
				t.Errorf("first workload %q, want %q", ids[1], tt.wantFirst)
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if tt.wantHex && !policyID.MatchString(id) {
					t.Errorf("id %q is not 64 hex digits", id)
				}
				if err := checkID(id); err != nil {
					t.Errorf("id %q: %v", id, err)
				}
				if seen[id] {
					t.Errorf("id %q given twice", id)
				}
				seen[id] = true
			}
			again := &podOptions{id: o.id}
			if again.workloadID(2) != ids[2] {
				t.Errorf("pod rm would look for %q, pod run made %q", again.workloadID(2), ids[2])
			}
		})
	}
}

// TestDaemonPodUnderPolicy runs pod run without --id under a security
// policy (one that allows everything but is not the open door, so the
// GCS insists on 64-hex ids): the sandbox and its workloads are created,
// and pod rm takes them down.
func TestDaemonPodUnderPolicy(t *testing.T) {
	d := startDaemon(t, testutil.Runtimes(t)[0])
	code := framework.OpenDoorPolicy() + "\n# not the open door: ids are checked\nnot_open_door := true\n"
	req, err := json.Marshal(map[string]any{
		"ResourceType": "SecurityPolicy", "RequestType": "Add",
		"Settings": map[string]string{"EncodedSecurityPolicy": base64.StdEncoding.EncodeToString([]byte(code))},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.mustCtl(t, exitOK, string(req), "modify", "-")
	stdout, _ := d.mustCtl(t, exitOK, "", "pod", "run", d.rootfs, "sleep", "1000", podSeparator, "sleep", "1000")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("pod run printed %q, want the sandbox and two workloads", stdout)
	}
	for _, l := range lines {
		if id, _, _ := strings.Cut(l, " "); !policyID.MatchString(id) {
			t.Errorf("pod run started %q, not 64 hex digits", id)
		}
	}
	pod, _, _ := strings.Cut(lines[0], " ")
	d.mustCtl(t, exitOK, "", "pod", "rm", pod)
	d.checkClean(t)
}
