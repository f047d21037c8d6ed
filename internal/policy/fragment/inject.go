package fragment

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/sirupsen/logrus"
)

// The media types a SecurityPolicyFragment request may carry. An empty
// one means a Rego fragment (hosts before media types).
const (
	MediaTypeFragment              = "application/cose-x509+rego"
	MediaTypeTrustList             = "application/vnd.transparency-trust-list.v1+cose"
	MediaTypeTCBReferenceInfo      = "application/vnd.tcb-reference-info.v1+cose"
	MediaTypePlatformReferenceInfo = "application/vnd.platform-reference-info.v1+cose"
)

// Injector takes the blobs a host injects, checks them, offers fragments
// and trust lists to the policy, keeps reference info for containers and
// records every blob with its verdict under its directory. One Injector
// lives as long as the utility VM; it is safe for concurrent use.
type Injector struct {
	dir      string
	log      logrus.FieldLogger
	requests atomic.Uint64

	mu       sync.Mutex
	tcb      []byte
	platform []byte
}

// NewInjector returns an Injector recording under dir (DefaultDir in the
// guest).
func NewInjector(dir string, log logrus.FieldLogger) *Injector {
	return &Injector{dir: dir, log: log}
}

// Dir is the record directory.
func (in *Injector) Dir() string { return in.dir }

// ReferenceInfo returns copies of the last TCB and platform reference
// info envelopes injected (nil when none), for the security context.
func (in *Injector) ReferenceInfo() (tcb, platform []byte) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return clone(in.tcb), clone(in.platform)
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Inject handles one injected blob: encoded is the request's base64
// Fragment, mediaType its MediaType. A Rego fragment is verified and
// offered to e's load_fragment; what the policy keeps takes part in later
// decisions. Whatever the outcome, once the blob decodes it is recorded
// as <dir>/<sha256>/fragment.cose with a numbered .succeed or .deny marker
// (the error), plus the payload once the signature holds and metadata.json
// once the issuer does.
func (in *Injector) Inject(ctx context.Context, e policy.Enforcer, mediaType, encoded string) (err error) {
	request := in.requests.Add(1)
	if mediaType == "" {
		mediaType = MediaTypeFragment
	}
	if base64.StdEncoding.DecodedLen(len(encoded)) > MaxEnvelope {
		return fmt.Errorf("fragment is %d base64 characters, more than %d bytes decoded", len(encoded), MaxEnvelope)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return fmt.Errorf("decode fragment: %w", err)
	}
	sum := sha256.Sum256(raw)
	dir := filepath.Join(in.dir, hex.EncodeToString(sum[:]))
	log := in.log.WithFields(logrus.Fields{"mediaType": mediaType, "sha256": hex.EncodeToString(sum[:]), "request": request})
	defer func() {
		if werr := writeVerdict(dir, request, err); werr != nil {
			log.WithError(werr).Warn("record fragment verdict")
		}
		if err != nil {
			log.WithError(err).Warn("injected fragment refused")
		} else {
			log.Info("injected fragment accepted")
		}
	}()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create fragment record directory: %w", err)
	}
	if err := writeOnce(filepath.Join(dir, fileEnvelope), raw); err != nil {
		return fmt.Errorf("record %s: %w", fileEnvelope, err)
	}
	return in.inject(ctx, e, mediaType, raw, dir)
}

func (in *Injector) inject(ctx context.Context, e policy.Enforcer, mediaType string, raw []byte, dir string) error {
	switch mediaType {
	case MediaTypeFragment, MediaTypeTrustList, MediaTypeTCBReferenceInfo, MediaTypePlatformReferenceInfo:
	default:
		return fmt.Errorf("cannot inject a blob of unsupported media type %q", clip(mediaType))
	}
	env, err := Unpack(raw)
	if err != nil {
		return fmt.Errorf("fragment failed COSE validation: %w", err)
	}
	if err := writeOnce(filepath.Join(dir, filePayload), env.Payload); err != nil {
		return fmt.Errorf("record %s: %w", filePayload, err)
	}
	switch mediaType {
	case MediaTypeTCBReferenceInfo, MediaTypePlatformReferenceInfo:
		// Kept for containers to check themselves, as the reference keeps them.
		in.keepReferenceInfo(mediaType, raw)
		return nil
	}
	if err := env.CheckIssuer(); err != nil {
		return err
	}
	if err := writeMetadata(dir, env); err != nil {
		return fmt.Errorf("record %s: %w", fileMetadata, err)
	}
	if mediaType == MediaTypeTrustList {
		return loadTrustList(ctx, e, env)
	}
	return load(ctx, e, env)
}

func (in *Injector) keepReferenceInfo(mediaType string, raw []byte) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if mediaType == MediaTypeTCBReferenceInfo {
		in.tcb = clone(raw)
	} else {
		in.platform = clone(raw)
	}
}

// load offers a verified fragment's Rego to the policy.
func load(ctx context.Context, e policy.Enforcer, env *Envelope) error {
	d, err := e.LoadFragment(ctx, Request(env))
	if err != nil {
		return refused("security policy fragment", err)
	}
	d.Commit()
	return nil
}

// refused wraps a policy's refusal so that its reasons read first; the
// policyDecision the host tooling decodes follows.
func refused(what string, err error) error {
	var denial *policy.DenialError
	if !errors.As(err, &denial) {
		return fmt.Errorf("load %s: %w", what, err)
	}
	reasons := denial.Reasons()
	if len(reasons) == 0 {
		return fmt.Errorf("%s refused by the policy: %w", what, err)
	}
	return fmt.Errorf("%s refused by the policy (%s): %w", what, strings.Join(reasons, "; "), err)
}

// Request is the load_fragment request for a verified envelope. Receipts
// are not validated here (no trust list keys are kept), so none are
// offered: a policy that requires them refuses the fragment.
func Request(env *Envelope) policy.LoadFragment {
	return policy.LoadFragment{Issuer: env.Issuer, Feed: env.Feed, HeaderSVN: env.SVN, Rego: string(env.Payload)}
}

// errNoTrustListSVN refuses a trust list without an SVN: it has nowhere
// else to carry one.
var errNoTrustListSVN = errors.New("transparency trust list has no SVN in its CWT claims")
