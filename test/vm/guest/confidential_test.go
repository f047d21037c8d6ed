package guest

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// confidentialScript is what the fragment's container runs: it writes
// what it finds of its security context to /seen in its rootfs.
const confidentialScript = `{ echo "dir=$UVM_SECURITY_CONTEXT_DIR"
ls "$UVM_SECURITY_CONTEXT_DIR" | tr '\n' ' '; echo
cat "$UVM_SECURITY_CONTEXT_DIR/security-policy-base64"; echo
ls "$UVM_SECURITY_CONTEXT_DIR/fragments.info" | wc -l; } > /seen`

// TestConfidentialFlow runs the confidential flow in the VM on a second
// GCS of its own (a policy cannot be unset, and the image's GCS serves
// the other tests): a Rego policy with a fragment feed is set, a fragment
// signed here (throwaway CA, leaf, did:x509 issuer) is sent, a forged one
// is refused, and the fragment's container is created and run; inside it
// the security context is there: the variable, the policy as sent, and
// fragments.info holding the README and the records of both fragments
// (the forged one's too: every blob that decodes is recorded).
func TestConfidentialFlow(t *testing.T) {
	if os.Getenv(envInVM) != "1" {
		t.Skip("runs in the test VM")
	}
	g := startDutiesGCS(t)
	s := fragmenttest.NewSigner(t, "Contoso Infra")
	const feed = "contoso.azurecr.io/infra"
	policyText := fragmenttest.FeedPolicy(s.Issuer, feed, "1")
	encoded := base64.StdEncoding.EncodeToString([]byte(policyText))
	modify := func(typ prot.ResourceType, settings any) error {
		return g.c.ModifySettings(testCtx(t), prot.NullContainerID, &prot.ModificationRequest{
			ResourceType: typ, RequestType: prot.RequestTypeAdd, Settings: settings,
		})
	}
	if err := modify(prot.ResourceTypeSecurityPolicy, &prot.LCOWConfidentialOptions{EncodedSecurityPolicy: encoded}); err != nil {
		t.Fatalf("set the policy: %v", err)
	}
	payload := []byte(fragmenttest.GcsctlRunFragment("1", confidentialScript))
	claims := fragmenttest.Claims{Issuer: s.Issuer, Feed: feed, SVN: fragmenttest.SVN(1)}
	forger := *s
	forger.Key = fragmenttest.NewKey(t)
	err := modify(prot.ResourceTypePolicyFragment, &prot.LCOWSecurityPolicyFragment{Fragment: base64.StdEncoding.EncodeToString(forger.Sign(t, claims, payload))})
	if err == nil || !strings.Contains(err.Error(), "COSE_Sign1 signature") {
		t.Fatalf("forged fragment: %v", err)
	}
	if err := modify(prot.ResourceTypePolicyFragment, &prot.LCOWSecurityPolicyFragment{Fragment: base64.StdEncoding.EncodeToString(s.Sign(t, claims, payload))}); err != nil {
		t.Fatalf("send the fragment: %v", err)
	}

	id := testutil.ConfidentialID(fmt.Sprint("confidential-", time.Now().UnixNano()))
	rootfs := filepath.Join(g.busyboxRoot(t, id), "rootfs")
	// Shaped as the fragment describes it (as gcsctl run makes it): /proc
	// with CRI's options, runc spec's capabilities, no ambient ones.
	spec := specFor("sh", "-c", confidentialScript)
	spec.Mounts[0].Options = []string{"nosuid", "noexec", "nodev"}
	spec.Process.Capabilities.Ambient, spec.Process.Capabilities.Inheritable = nil, nil
	spec.Root = &oci.Root{Path: rootfs}
	if err := g.c.CreateContainer(testCtx(t), id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: filepath.Dir(rootfs), OCISpecification: spec,
		ScratchDirPath: filepath.Join(filepath.Dir(rootfs), "scratch", id),
	}); err != nil {
		t.Fatalf("create the fragment's container: %v", err)
	}
	if err := g.c.Start(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	pid, err := g.c.ExecuteProcess(testCtx(t), id, &prot.ProcessParameters{}, prot.ExecuteProcessVsockStdioRelaySettings{})
	if err != nil {
		t.Fatal(err)
	}
	if code, err := g.c.WaitForProcess(testCtx(t), id, pid, -1); err != nil || code != 0 {
		t.Fatalf("container exited %d, %v", code, err)
	}
	seen, err := os.ReadFile(filepath.Join(rootfs, "seen"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(seen)), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "dir=/security-context-") ||
		strings.TrimSpace(lines[1]) != "fragments.info security-policy-base64" ||
		lines[2] != encoded || strings.TrimSpace(lines[3]) != "3" {
		t.Fatalf("the container saw:\n%s", seen)
	}
}
