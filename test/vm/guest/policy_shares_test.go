package guest

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/linux-gcs/gcs/internal/transport"
)

// wantPolicyDenial is testutil.WantDenied with, when want is not empty,
// the policy's reason.
func wantPolicyDenial(t *testing.T, what string, err error, want string) {
	t.Helper()
	reasons := (&policy.DenialError{Decision: testutil.WantDenied(t, what, err)}).Reasons()
	if want != "" && !strings.Contains(strings.Join(reasons, "; "), want) {
		t.Fatalf("%s: reasons %q, want %q", what, reasons, want)
	}
}

// shareServer serves Plan 9 shares on relay ports of a second GCS.
type shareServer struct {
	relay  transport.RelayListener
	shares map[string]string
}

// port listens on a new relay port and serves the shares on the one
// connection it accepts.
func (s *shareServer) port(t *testing.T) int32 {
	t.Helper()
	port, ln, err := s.relay.Listen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		newP9Server(s.shares).serve(c)
	}()
	return int32(port)
}

// TestPolicyPlan9Shares runs a confidential VM's Plan 9 shares for real
// on a second GCS under a generated policy: a share below the root of a
// container whose overlay the policy matched mounts; one anywhere else,
// or a second one at a mounted target, is refused with the policy's
// decision and leaves no directory and no mount; a mount the policy allows
// but the host's server fails leaves nothing either, and may be retried,
// as does one named by more than decimal digits (refused by the GCS, as
// the reference's is in a confidential VM); an unmount of what the policy did not see mounted is refused, and one of
// a mounted share unmounts it and removes the directory the GCS made.
func TestPolicyPlan9Shares(t *testing.T) {
	if os.Getenv(envInVM) != "1" {
		t.Skip("runs in the test VM")
	}
	g := startDutiesGCS(t)
	ctx := testCtx(t)
	rl, err := transport.ParseRelayListener("unix://" + filepath.Join(g.dir, "relay"))
	if err != nil {
		t.Fatal(err)
	}
	served := t.TempDir()
	if err := os.WriteFile(filepath.Join(served, "hello.txt"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := &shareServer{relay: rl, shares: map[string]string{"1": served, "share": served}}
	modify := func(rt prot.RequestType, s *prot.LCOWMappedDirectory) error {
		return g.c.ModifySettings(ctx, prot.NullContainerID, &prot.ModificationRequest{
			RequestType: rt, ResourceType: prot.ResourceTypeMappedDirectory, Settings: s,
		})
	}
	// The policy's container, on a busybox layer that a custom
	// mount_overlay rule accepts (no dm-verity needed for shares).
	layer := filepath.Join(g.dir, "root", "layers", "busybox")
	rego := testutil.GeneratedPolicy(strings.Repeat("0", 64), layer)
	if err := g.c.ModifySettings(ctx, prot.NullContainerID, &prot.ModificationRequest{
		RequestType: prot.RequestTypeAdd, ResourceType: prot.ResourceTypeSecurityPolicy,
		Settings: &prot.LCOWConfidentialOptions{EncodedSecurityPolicy: base64.StdEncoding.EncodeToString([]byte(rego))},
	}); err != nil {
		t.Fatalf("set policy: %v", err)
	}
	id := testutil.ConfidentialID("plan9-vm")
	bundle := g.busyboxRoot(t, id)
	share := func(n string) string { return filepath.Join(bundle, "mounts", n) }
	t.Cleanup(func() {
		for _, n := range []string{"m0", "m1"} {
			unix.Unmount(share(n), unix.MNT_DETACH)
		}
	})
	gone := func(what, target string) {
		t.Helper()
		if _, ok, err := mount.Lookup(target); err != nil || ok {
			t.Errorf("%s: %s mounted (%v)", what, target, err)
		}
		if _, err := os.Lstat(target); err == nil {
			t.Errorf("%s: %s was left behind", what, target)
		}
	}

	// Refused: no container's root, a container without a matched
	// overlay; the host's port is never dialed.
	other := filepath.Join(g.dir, "root", "c", testutil.ConfidentialID("plan9-vm-other"), "mounts", "m0")
	for what, target := range map[string]string{
		"share outside a container":           filepath.Join(g.dir, "mounts", "m0"),
		"share of a container without rootfs": other,
		"share below a container's rootfs":    filepath.Join(bundle, "rootfs", "mounts", "m0"),
	} {
		err := modify(prot.RequestTypeAdd, &prot.LCOWMappedDirectory{MountPath: target, Port: srv.port(t), ShareName: "1", ReadOnly: true})
		wantPolicyDenial(t, what, err, "")
		gone(what, target)
	}

	// Allowed, but the host serves no such share: the mount fails, leaves
	// nothing, and the policy forgets it (the same target mounts next).
	err = modify(prot.RequestTypeAdd, &prot.LCOWMappedDirectory{MountPath: share("m0"), Port: srv.port(t), ShareName: "2", ReadOnly: true})
	if err == nil || client.HResult(err) != prot.HrFail {
		t.Fatalf("share the host does not serve: %v, want E_FAIL", err)
	}
	if _, perr := policy.ParseDecision(err.Error()); perr == nil {
		t.Fatalf("share the host does not serve: refused by the policy, want a failed mount: %v", err)
	}
	gone("failed mount", share("m0"))

	// Allowed, but named by more than digits (a share the host does
	// serve): refused before the port is dialed, leaving nothing; the
	// policy forgets it too.
	err = modify(prot.RequestTypeAdd, &prot.LCOWMappedDirectory{MountPath: share("m0"), Port: srv.port(t), ShareName: "share", ReadOnly: true})
	if err == nil || client.HResult(err) != prot.HrFail || !strings.Contains(err.Error(), "share name refused") {
		t.Fatalf("share named by letters: %v, want E_FAIL refusing the name", err)
	}
	gone("refused share name", share("m0"))

	// Allowed: mounted and readable; a second share at the same target is
	// refused and the first stays.
	m0 := &prot.LCOWMappedDirectory{MountPath: share("m0"), Port: srv.port(t), ShareName: "1", ReadOnly: true}
	if err := modify(prot.RequestTypeAdd, m0); err != nil {
		t.Fatalf("allowed share: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(share("m0"), "hello.txt")); err != nil || string(b) != "from the host\n" {
		t.Fatalf("hello.txt over the share: %q, %v", b, err)
	}
	again := *m0
	again.Port = srv.port(t)
	wantPolicyDenial(t, "second share at a mounted target", modify(prot.RequestTypeAdd, &again), "already mounted")
	if _, err := os.Stat(filepath.Join(share("m0"), "hello.txt")); err != nil {
		t.Fatalf("the mounted share after a refused second one: %v", err)
	}

	// Unmounts: of what the policy did not see mounted, refused; of the
	// share, done, its directory removed; then refused again.
	wantPolicyDenial(t, "unmount of a target never mounted", modify(prot.RequestTypeRemove, &prot.LCOWMappedDirectory{MountPath: share("m1")}), "no device at path")
	if _, ok, err := mount.Lookup(share("m0")); err != nil || !ok {
		t.Fatalf("share unmounted by a refused unmount elsewhere: %v", err)
	}
	if err := modify(prot.RequestTypeRemove, m0); err != nil {
		t.Fatalf("unmount the share: %v", err)
	}
	gone("unmounted share", share("m0"))
	wantPolicyDenial(t, "second unmount", modify(prot.RequestTypeRemove, m0), "no device at path")
}
