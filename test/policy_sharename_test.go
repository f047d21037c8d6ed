package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// shareNameRefusal is what a refused share name's reply says.
const shareNameRefusal = "share name refused"

// TestPolicyPlan9ShareName checks a confidential VM's rule on Plan 9 share
// names (the reference's): once a policy is set, a share whose name is not
// decimal digits is refused with E_FAIL after the policy allowed the
// mount, without echoing the name; the refusal leaves no directory and no
// mount, and the policy forgets the mount it allowed, so that the same
// target mounts next. Digits pass on to the host's server; without a
// policy any name does.
func TestPolicyPlan9ShareName(t *testing.T) {
	h := newHostEnv(t, "runc")
	add := func(target, name string) error {
		return h.modify(prot.RequestTypeAdd, prot.ResourceTypeMappedDirectory,
			&prot.LCOWMappedDirectory{MountPath: target, Port: h.hangUpPort(t), ShareName: name, ReadOnly: true})
	}
	// failedMount checks that err is the host's server failing the mount:
	// neither the policy nor the name refused it.
	failedMount := func(what string, err error) {
		t.Helper()
		if client.HResult(err) != prot.HrFail {
			t.Fatalf("%s: %v, want E_FAIL", what, err)
		}
		if _, perr := policy.ParseDecision(err.Error()); perr == nil {
			t.Fatalf("%s: refused by the policy, want a failed mount: %v", what, err)
		}
		if strings.Contains(err.Error(), shareNameRefusal) {
			t.Fatalf("%s: name refused, want a failed mount: %v", what, err)
		}
	}

	// Without a policy, the name is the host's business.
	failedMount("share named by letters without a policy", add(filepath.Join(h.root, "open", "m0"), "share"))

	// A container whose overlay the policy matched: shares below its
	// directory are allowed.
	c := h.confContainer("plan9-names")
	t.Cleanup(func() { unix.Unmount(c.rootfs, unix.MNT_DETACH) })
	if err := h.setPolicy(testutil.GeneratedPolicy(strings.Repeat("0", 64), h.layer)); err != nil {
		t.Fatalf("set policy: %v", err)
	}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, c.layers(h.layer)); err != nil {
		t.Fatalf("overlay of the policy's layer: %v", err)
	}
	t.Cleanup(func() {
		if err := h.modify(prot.RequestTypeRemove, prot.ResourceTypeCombinedLayers, c.layers(h.layer)); err != nil {
			t.Errorf("remove the overlay: %v", err)
		}
	})

	for i, tc := range []struct {
		name   string
		share  string
		ok     bool
		secret bool // the reply must not carry it
	}{
		{name: "digits", share: "1234567890", ok: true},
		{name: "zero", share: "0", ok: true},
		{name: "letters", share: "share"},
		{name: "secret", share: "s3cr3t-t0ken", secret: true},
		{name: "empty", share: ""},
		{name: "digits and letters", share: "12a"},
		{name: "sign", share: "-1"},
		{name: "space", share: " 7"},
		{name: "newline", share: "7\n"},
		{name: "mount options", share: "1,trans=fd"},
		{name: "path", share: "../1"},
		{name: "non-ASCII digit", share: "\u0663"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := filepath.Join(c.bundle, "mounts", fmt.Sprintf("m%d", i))
			err := add(target, tc.share)
			if tc.ok {
				failedMount("share "+tc.name, err)
			} else {
				if client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), shareNameRefusal) {
					t.Fatalf("share named %q: %v, want E_FAIL refusing the name", tc.share, err)
				}
				if _, perr := policy.ParseDecision(err.Error()); perr == nil {
					t.Fatalf("share named %q: refused as a policy decision, want the name refused: %v", tc.share, err)
				}
				if tc.secret && strings.Contains(err.Error(), tc.share) {
					t.Errorf("the refusal echoes the share name %q: %v", tc.share, err)
				}
			}
			if pathsMounted(t, target) {
				t.Fatalf("%s mounted", target)
			}
			if _, err := os.Lstat(target); err == nil {
				t.Errorf("the refused share left its mount point %s", target)
			}
			// The policy does not believe the target mounted: a share
			// with a good name there is allowed (and fails at the server).
			failedMount("share at the same target", add(target, "1"))
		})
	}
}
