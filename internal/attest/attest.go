// Package attest checks a security policy against the SEV-SNP hardware:
// on an SEV-SNP guest the SHA-256 of the policy must equal the HOST_DATA
// the host fixed when it launched the VM, which the guest reads from a
// fresh attestation report. Elsewhere there is nothing to check against
// and the check is skipped, as hcsshim's guest skips it.
package attest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sirupsen/logrus"
)

// Sizes and offsets of an ATTESTATION_REPORT (AMD SEV-SNP firmware ABI,
// table "ATTESTATION_REPORT Structure").
const (
	ReportSize     = 0x4a0
	hostDataOffset = 0xc0
	HostDataSize   = 32
	ReportDataSize = 64
)

// Reporter is the seam to the hardware: Device in the guest, fakes in
// tests (this machine has no SEV-SNP).
type Reporter interface {
	// IsSNP reports whether the VM is an SEV-SNP guest.
	IsSNP() (bool, error)
	// Report fetches a raw attestation report binding reportData.
	Report(ctx context.Context, reportData [ReportDataSize]byte) ([]byte, error)
}

// ErrHostDataMismatch is wrapped by CheckPolicy's refusals: the policy is
// not the one the VM was launched for.
var ErrHostDataMismatch = errors.New("security policy digest does not match the HOST_DATA the VM was launched with")

// PolicyDigest is the SHA-256 of a base64 security policy's bytes, the
// value the host puts in HOST_DATA.
func PolicyDigest(encodedPolicy string) ([HostDataSize]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encodedPolicy)
	if err != nil {
		return [HostDataSize]byte{}, fmt.Errorf("decode base64 security policy: %w", err)
	}
	return sha256.Sum256(raw), nil
}

// HostData reads HOST_DATA from a raw attestation report.
func HostData(report []byte) ([HostDataSize]byte, error) {
	var hd [HostDataSize]byte
	if len(report) < ReportSize {
		return hd, fmt.Errorf("attestation report is %d bytes, want %d", len(report), ReportSize)
	}
	copy(hd[:], report[hostDataOffset:hostDataOffset+HostDataSize])
	return hd, nil
}

// CheckPolicy refuses encodedPolicy unless the VM is not an SEV-SNP guest
// or its attestation report's HOST_DATA is the policy's digest. A policy
// that does not decode is refused everywhere.
func CheckPolicy(ctx context.Context, r Reporter, encodedPolicy string, log logrus.FieldLogger) error {
	digest, err := PolicyDigest(encodedPolicy)
	if err != nil {
		return err
	}
	snp, err := r.IsSNP()
	if err != nil {
		return fmt.Errorf("detect SEV-SNP: %w", err)
	}
	if !snp {
		log.Debug("not an SEV-SNP guest: security policy not checked against HOST_DATA")
		return nil
	}
	report, err := r.Report(ctx, [ReportDataSize]byte{})
	if err != nil {
		return fmt.Errorf("fetch SEV-SNP attestation report: %w", err)
	}
	hostData, err := HostData(report)
	if err != nil {
		return err
	}
	if !bytes.Equal(digest[:], hostData[:]) {
		return fmt.Errorf("%w: policy %s, HOST_DATA %s", ErrHostDataMismatch, hex.EncodeToString(digest[:]), hex.EncodeToString(hostData[:]))
	}
	log.Info("security policy matches the SEV-SNP HOST_DATA")
	return nil
}
