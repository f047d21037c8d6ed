package test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	oci "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// The confidential tests' fragment feed, and the command its fragment
// offers.
const (
	confFeed       = "contoso.azurecr.io/infra"
	confFragmentSh = "echo from-the-fragment"
)

// confidentialID returns a container id unique within this host in the shape a
// confidential VM wants (64 hexadecimal characters).
func (h *hostEnv) confidentialID(prefix string) string {
	return testutil.ConfidentialID(h.id(prefix))
}

// setConfPolicy sends a SecurityPolicy request with the Rego policy and
// the UVM reference info given (base64, as the host sends them).
func (h *hostEnv) setConfPolicy(rego, uvmReference string) error {
	return h.modify(prot.RequestTypeAdd, prot.ResourceTypeSecurityPolicy, &prot.LCOWConfidentialOptions{
		EnforcerType:          "rego",
		EncodedSecurityPolicy: base64.StdEncoding.EncodeToString([]byte(rego)),
		EncodedUVMReference:   uvmReference,
	})
}

// sendFragment sends a SecurityPolicyFragment request with the envelope
// (raw) in base64.
func (h *hostEnv) sendFragment(raw []byte) error {
	return h.modify(prot.RequestTypeAdd, prot.ResourceTypePolicyFragment, &prot.LCOWSecurityPolicyFragment{
		Fragment: base64.StdEncoding.EncodeToString(raw),
	})
}

// fragmentsDir is where the daemon records fragments: beside its state
// root, as /run/fragments beside /run/gcs in a utility VM.
func (h *hostEnv) fragmentsDir() string { return filepath.Join(h.dir, "fragments") }

// fragmentVerdict returns the verdict files the daemon recorded for the
// envelope raw ("1.succeed", "2.deny: <error>", ...), sorted.
func (h *hostEnv) fragmentVerdicts(t *testing.T, raw []byte) []string {
	t.Helper()
	sum := sha256.Sum256(raw)
	dir := filepath.Join(h.fragmentsDir(), hex.EncodeToString(sum[:]))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("fragment record: %v", err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".succeed"):
			out = append(out, name)
		case strings.HasSuffix(name, ".deny"):
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, name+": "+string(b))
		}
	}
	return out
}

// confPolicy is the base policy of the confidential tests: fragments of
// issuer on confFeed from SVN 2 may add containers (see
// fragmenttest.FeedPolicy).
func confPolicy(issuer string) string { return fragmenttest.FeedPolicy(issuer, confFeed, "2") }

// confFragment is a fragment of the given SVN offering one container per
// script (see fragmenttest.ScriptsFragment).
func confFragment(svn string, scripts ...string) string {
	return fragmenttest.ScriptsFragment(svn, scripts...)
}

// createConfidential is createAt (the rootfs is bundle/rootfs) in the order a
// confidential VM wants things undone: after the test the container is
// killed, its root file system unmounted once it exited, and only then
// its state deleted (a confidential GCS refuses to delete a container
// whose rootfs is still mounted).
func (h *hostEnv) createConfidential(t *testing.T, id, bundle, scratch string, spec *oci.Spec) error {
	t.Helper()
	rootfs := filepath.Join(bundle, "rootfs")
	layers := &prot.LCOWCombinedLayers{ContainerID: id, ContainerRootPath: rootfs, Layers: []prot.Layer{{Path: h.layer}}, ScratchPath: scratch}
	if err := h.modify(prot.RequestTypeAdd, prot.ResourceTypeCombinedLayers, layers); err != nil {
		return fmt.Errorf("add layers: %w", err)
	}
	created := false
	t.Cleanup(func() {
		if h.g.exited() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if created {
			h.c.ShutdownForced(ctx, id)
		}
		retry := func(what string, op func() error) {
			for {
				err := op()
				if err == nil {
					return
				}
				if ctx.Err() != nil {
					t.Errorf("%s of %s: %v", what, id, err)
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		// Refused while the init is still exiting.
		retry("remove layers", func() error {
			return h.c.ModifySettings(ctx, prot.NullContainerID, &prot.ModificationRequest{
				ResourceType: prot.ResourceTypeCombinedLayers, RequestType: prot.RequestTypeRemove, Settings: layers,
			})
		})
		if created {
			retry("delete", func() error {
				if err := h.c.DeleteContainerState(ctx, id); err != nil && client.HResult(err) != prot.HrVmcomputeSystemNotFound {
					return err
				}
				return nil
			})
		}
	})
	spec.Root = &oci.Root{Path: rootfs}
	err := h.c.CreateContainer(testCtx(t), id, &prot.VMHostedContainerSettingsV2{
		SchemaVersion: prot.SchemaVersion{Major: 2, Minor: 1}, OCIBundlePath: bundle, OCISpecification: spec, ScratchDirPath: scratch,
	})
	created = err == nil
	return err
}

// confSpec is specFor(args...) shaped as CRI shapes a container's spec,
// so that the framework's create_container can allow it: the default
// mounts (but the cgroup one, whose type depends on the host) and the
// default unprivileged capabilities.
func confSpec(args ...string) *oci.Spec {
	spec := specFor(args...)
	spec.Mounts = nil
	for _, m := range policy.DefaultMounts() {
		if m.Destination != "/sys/fs/cgroup" {
			spec.Mounts = append(spec.Mounts, m)
		}
	}
	caps := policy.DefaultUnprivilegedCapabilities
	spec.Process.Capabilities = &oci.LinuxCapabilities{Bounding: caps(), Effective: caps(), Permitted: caps()}
	return spec
}

// signedFragment signs a fragment for confFeed with s at header SVN svn.
func signedFragment(t *testing.T, s *fragmenttest.Signer, svn int64, rego string) []byte {
	return s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: confFeed, SVN: fragmenttest.SVN(svn)}, []byte(rego))
}
