package attest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// fakeReporter stands in for the SEV-SNP firmware, which this machine
// does not have: it answers with a report carrying hostData.
type fakeReporter struct {
	snp      bool
	hostData [HostDataSize]byte
	short    bool
	err      error
	asked    int
}

func (f *fakeReporter) IsSNP() (bool, error) { return f.snp, nil }

func (f *fakeReporter) Report(context.Context, [ReportDataSize]byte) ([]byte, error) {
	f.asked++
	if f.err != nil {
		return nil, f.err
	}
	report := make([]byte, ReportSize)
	for i := range report {
		report[i] = 0xee // everything but HOST_DATA is noise
	}
	copy(report[hostDataOffset:], f.hostData[:])
	if f.short {
		report = report[:hostDataOffset+HostDataSize]
	}
	return report, nil
}

func quiet() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

func TestCheckPolicy(t *testing.T) {
	policy := []byte("package policy\n\napi_version := \"0.12.0\"\n")
	encoded := base64.StdEncoding.EncodeToString(policy)
	digest := sha256.Sum256(policy)
	var other [HostDataSize]byte
	copy(other[:], digest[:])
	other[31] ^= 1
	tests := []struct {
		name      string
		reporter  *fakeReporter
		encoded   string
		want      string
		wantAsked int
	}{
		{"HOST_DATA matches", &fakeReporter{snp: true, hostData: digest}, encoded, "", 1},
		{"HOST_DATA differs", &fakeReporter{snp: true, hostData: other}, encoded, "does not match the HOST_DATA", 1},
		{"not SEV-SNP: skipped", &fakeReporter{hostData: other}, encoded, "", 0},
		{"report fails", &fakeReporter{snp: true, err: errors.New("firmware busy")}, encoded, "fetch SEV-SNP attestation report: firmware busy", 1},
		{"report short", &fakeReporter{snp: true, hostData: digest, short: true}, encoded, "want 1184", 1},
		{"policy not base64", &fakeReporter{snp: true, hostData: digest}, "!!", "decode base64 security policy", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPolicy(context.Background(), tt.reporter, tt.encoded, quiet())
			if tt.want == "" && err != nil {
				t.Fatal(err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("error %v, want it to say %q", err, tt.want)
			}
			if tt.reporter.asked != tt.wantAsked {
				t.Fatalf("report fetched %d times, want %d", tt.reporter.asked, tt.wantAsked)
			}
		})
	}
}

func TestMismatchIsTyped(t *testing.T) {
	err := CheckPolicy(context.Background(), &fakeReporter{snp: true}, "cA==", quiet())
	if !errors.Is(err, ErrHostDataMismatch) {
		t.Fatalf("error %v does not wrap ErrHostDataMismatch", err)
	}
}

// TestDeviceHere runs the real Device on this machine, which is no
// SEV-SNP guest: the check is skipped.
func TestDeviceHere(t *testing.T) {
	for _, dev := range []string{DevSev, DevSevGuest} {
		if _, err := os.Stat(dev); err == nil {
			t.Skipf("%s exists: this is an SEV guest", dev)
		}
	}
	snp, err := Device{}.IsSNP()
	if err != nil || snp {
		t.Fatalf("IsSNP = %v, %v on a machine without SEV devices", snp, err)
	}
	if err := CheckPolicy(context.Background(), Device{}, "cA==", quiet()); err != nil {
		t.Fatalf("check not skipped: %v", err)
	}
}

// TestDeviceNotFirmware points Device at a regular file where the guest
// device should be: the VM counts as SEV-SNP, the real ioctl fails, and
// the policy is refused rather than let through.
func TestDeviceNotFirmware(t *testing.T) {
	for _, dev := range []string{DevSev, DevSevGuest} {
		t.Run(filepath.Base(dev), func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, dev)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			d := Device{Root: root}
			if snp, err := d.IsSNP(); err != nil || !snp {
				t.Fatalf("IsSNP = %v, %v with %s present", snp, err, dev)
			}
			err := CheckPolicy(context.Background(), d, "cA==", quiet())
			if err == nil || !strings.Contains(err.Error(), "fetch SEV-SNP attestation report: "+dev) {
				t.Fatalf("error %v, want the report request on %s to fail", err, dev)
			}
		})
	}
}

func TestHostDataOffset(t *testing.T) {
	report := make([]byte, ReportSize)
	for i := range HostDataSize {
		report[0xc0+i] = byte(i + 1)
	}
	hd, err := HostData(report)
	if err != nil {
		t.Fatal(err)
	}
	if hd[0] != 1 || hd[31] != 32 {
		t.Fatalf("HOST_DATA %x", hd)
	}
}
