package attest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// The guest devices of the SEV-SNP firmware interface: /dev/sev on the
// 5.x kernels of the first confidential utility VMs, /dev/sev-guest
// (sev-guest driver) from Linux 6.
const (
	DevSev      = "/dev/sev"
	DevSevGuest = "/dev/sev-guest"
)

// Device is the hardware Reporter: it asks the SEV-SNP firmware through
// the guest device. Root prefixes the device paths (empty in the guest).
type Device struct {
	Root string
}

// IsSNP reports whether either device exists. As in the reference, a
// device that cannot be looked at for another reason counts as there, so
// the check runs and fails rather than being skipped.
func (d Device) IsSNP() (bool, error) {
	for _, dev := range []string{DevSev, DevSevGuest} {
		if _, err := os.Stat(d.path(dev)); !errors.Is(err, fs.ErrNotExist) {
			return true, nil
		}
	}
	return false, nil
}

func (d Device) path(dev string) string { return filepath.Join(d.Root, dev) }
