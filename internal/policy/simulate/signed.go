package simulate

import (
	"fmt"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/fragment"
)

// signed reports whether a fragment file is a COSE_Sign1 envelope (CBOR
// tag 18) rather than Rego, which never starts with that byte.
func signed(code []byte) bool { return len(code) > 0 && code[0] == 0xd2 }

// signedFragment verifies an envelope as the guest does (signature,
// chain, did:x509 issuer) and takes issuer, feed, SVN and Rego from it.
// Issuer, feed or header_svn the command also names must agree with the
// envelope: a simulation that says otherwise is wrong.
func signedFragment(raw []byte, named policy.LoadFragment) (policy.LoadFragment, error) {
	env, err := fragment.Verify(raw)
	if err != nil {
		return policy.LoadFragment{}, fmt.Errorf("verify signed fragment: %w", err)
	}
	r := fragment.Request(env)
	r.Receipts = named.Receipts
	if named.Issuer != "" && named.Issuer != r.Issuer {
		return policy.LoadFragment{}, fmt.Errorf("signed fragment: the command names issuer %q, the envelope %q", named.Issuer, r.Issuer)
	}
	if named.Feed != "" && named.Feed != r.Feed {
		return policy.LoadFragment{}, fmt.Errorf("signed fragment: the command names feed %q, the envelope %q", named.Feed, r.Feed)
	}
	if named.HeaderSVN != nil && (r.HeaderSVN == nil || *r.HeaderSVN != *named.HeaderSVN) {
		return policy.LoadFragment{}, fmt.Errorf("signed fragment: the command names header_svn %d, the envelope %s", *named.HeaderSVN, svnText(r.HeaderSVN))
	}
	return r, nil
}

func svnText(svn *int64) string {
	if svn == nil {
		return "none"
	}
	return fmt.Sprint(*svn)
}
