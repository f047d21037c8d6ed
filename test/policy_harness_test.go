package test

import (
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// setPolicy sends the SecurityPolicy request with rego as its policy.
func (h *hostEnv) setPolicy(rego string) error {
	return h.modify(prot.RequestTypeAdd, prot.ResourceTypeSecurityPolicy, &prot.LCOWConfidentialOptions{
		EncodedSecurityPolicy: base64.StdEncoding.EncodeToString([]byte(rego)),
	})
}

// wantRefused checks that err is the reply to a request the policy
// refused: E_FAIL and what was refused.
func wantRefused(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: allowed, want a denial", what)
	}
	if hr := client.HResult(err); hr != prot.HrFail {
		t.Fatalf("%s: HRESULT %s, want E_FAIL: %v", what, hr, err)
	}
	if !strings.Contains(err.Error(), "denied by policy") {
		t.Fatalf("%s: %v, want a policy denial", what, err)
	}
}

// wantDenied is wantRefused by a Rego policy: the reply also carries the
// policy's decision as the host decodes it.
func wantDenied(t *testing.T, what string, err error) map[string]any {
	t.Helper()
	wantRefused(t, what, err)
	return testutil.WantDenied(t, what, err)
}

// cgroupLeft reports whether a cgroup named id exists anywhere below the
// daemon's cgroup parent, in the memory hierarchy or the unified one.
func (h *hostEnv) cgroupLeft(id string) bool {
	found := false
	for _, root := range []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		dir := filepath.Join(root, h.cgroup)
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && d.Name() == id {
				found = true
			}
			if err != nil && p == dir {
				return fs.SkipDir
			}
			return nil
		})
	}
	return found
}

// deviceMapper reports whether this machine can make device-mapper
// devices (the test VM can, some hosts cannot).
func deviceMapper() bool {
	f, err := os.OpenFile("/dev/mapper/control", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
