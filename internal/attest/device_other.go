//go:build !linux

package attest

import (
	"context"
	"errors"
)

// Report implements Reporter: SEV-SNP guests are Linux only here.
func (Device) Report(context.Context, [ReportDataSize]byte) ([]byte, error) {
	return nil, errors.New("SEV-SNP attestation reports are only fetched on Linux")
}
