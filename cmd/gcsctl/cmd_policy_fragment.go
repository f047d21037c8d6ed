package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/linux-gcs/gcs/internal/policy/fragment"
	"github.com/linux-gcs/gcs/internal/prot"
)

// coseSign1Tag is the first byte of a tagged COSE_Sign1 envelope (CBOR
// tag 18).
const coseSign1Tag = 0xd2

// policyFragmentCommand injects a signed policy fragment (or another
// signed blob the guest accepts) into the utility VM.
func policyFragmentCommand() command {
	var mediaType string
	return command{
		name:    "policy fragment",
		args:    "FILE|-",
		summary: "inject the signed policy fragment in FILE (- for stdin) with ModifySettings",
		detail: `FILE holds a COSE_Sign1 envelope, raw or base64. It is sent as a
SecurityPolicyFragment (RequestType Add) for the utility VM, where the
signature and issuer are checked and the fragment offered to the security
policy in force; what the policy keeps (containers, external processes,
further fragments) takes part in later decisions. A refusal is an E_FAIL
reply saying what failed, and loads nothing. The GCS records every
fragment and its verdict (/run/fragments in the VM; see docs/POLICY.md).
--media-type names what the envelope carries: ` + fragment.MediaTypeFragment + ` (a Rego
fragment, the default), ` + fragment.MediaTypeTrustList + `,
` + fragment.MediaTypeTCBReferenceInfo + ` or
` + fragment.MediaTypePlatformReferenceInfo + `.`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			fs.StringVar(&mediaType, "media-type", fragment.MediaTypeFragment, "the envelope's media `TYPE`")
			return func(args []string, stdin io.Reader) (action, error) {
				if len(args) != 1 {
					return nil, usageErrorf("policy fragment wants FILE or -, got %d arguments", len(args))
				}
				encoded, err := readEnvelope(args[0], stdin)
				if err != nil {
					return nil, err
				}
				req := &prot.ModificationRequest{
					ResourceType: prot.ResourceTypePolicyFragment,
					RequestType:  prot.RequestTypeAdd,
					Settings:     &prot.LCOWSecurityPolicyFragment{Fragment: encoded, MediaType: mediaType},
				}
				return func(ctx context.Context, s *session) error {
					return s.modify(ctx, prot.NullContainerID, req)
				}, nil
			}
		},
	}
}

// readEnvelope reads a COSE_Sign1 envelope, raw or base64, from file (or
// stdin for "-") and returns it base64, as the request carries it.
func readEnvelope(file string, stdin io.Reader) (string, error) {
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("read the fragment: %w", err)
		}
		defer f.Close()
		r = f
	}
	// Base64 of the largest envelope is 4/3 its size; read one byte more.
	b, err := io.ReadAll(io.LimitReader(r, fragment.MaxEnvelope/3*4+5))
	if err != nil {
		return "", fmt.Errorf("read the fragment: %w", err)
	}
	if len(b) > 0 && b[0] == coseSign1Tag {
		if len(b) > fragment.MaxEnvelope {
			return "", usageErrorf("policy fragment: %s is larger than %d bytes", file, fragment.MaxEnvelope)
		}
		return base64.StdEncoding.EncodeToString(b), nil
	}
	text := bytes.TrimSpace(b)
	raw, err := base64.StdEncoding.DecodeString(string(text))
	if err != nil || len(raw) == 0 || raw[0] != coseSign1Tag {
		return "", usageErrorf("policy fragment: %s is not a COSE_Sign1 envelope, raw or base64", file)
	}
	if len(raw) > fragment.MaxEnvelope {
		return "", usageErrorf("policy fragment: %s is larger than %d bytes", file, fragment.MaxEnvelope)
	}
	return string(text), nil
}
