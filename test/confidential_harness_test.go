package test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
	"github.com/linux-gcs/gcs/internal/prot"
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
	sum := sha256.Sum256([]byte(h.id(prefix)))
	return hex.EncodeToString(sum[:])
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

// signedFragment signs a fragment for confFeed with s at header SVN svn.
func signedFragment(t *testing.T, s *fragmenttest.Signer, svn int64, rego string) []byte {
	return s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: confFeed, SVN: fragmenttest.SVN(svn)}, []byte(rego))
}
