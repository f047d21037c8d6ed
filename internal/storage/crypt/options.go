package crypt

import (
	"fmt"
	"strconv"
	"strings"
)

// TypeLUKS2 is the LUKS2 on-disk format, the only one with integrity.
const TypeLUKS2 = "luks2"

// FormatOptions are the flags of luksFormat. Zero fields leave
// cryptsetup's defaults.
type FormatOptions struct {
	// Type is the header format, "luks2" or "luks1".
	Type string
	// Cipher is the data encryption, e.g. "aes-xts-plain64".
	Cipher string
	// KeySize is the volume key size in bits (cryptsetup's default for the
	// cipher when zero).
	KeySize int
	// Integrity is the authentication of each sector, e.g. "hmac-sha256":
	// LUKS2 then stacks dm-crypt over dm-integrity.
	Integrity string
	// IntegrityNoWipe skips writing every sector once to initialise its
	// tag: a sector never written then fails to read, which a freshly
	// formatted file system never does.
	IntegrityNoWipe bool
	// SectorSize is the encryption sector size in bytes (512 to 4096).
	SectorSize int
	// PBKDF is the key derivation of the key slot, e.g. "pbkdf2".
	PBKDF string
	// PBKDFIterations forces the iteration count, skipping the benchmark
	// cryptsetup otherwise runs to pick one.
	PBKDFIterations int
}

// ScratchFormat returns the options the reference formats encrypted
// scratch disks with: LUKS2, aes-xts-plain64 authenticated with
// hmac-sha256 on 4096-byte sectors, no integrity wipe, and 1000 PBKDF2
// iterations, since the key is random rather than a passphrase that needs
// stretching.
func ScratchFormat() FormatOptions {
	return FormatOptions{
		Type:            TypeLUKS2,
		Cipher:          "aes-xts-plain64",
		Integrity:       "hmac-sha256",
		IntegrityNoWipe: true,
		SectorSize:      4096,
		PBKDF:           "pbkdf2",
		PBKDFIterations: 1000,
	}
}

// args renders o as luksFormat flags.
func (o FormatOptions) args() ([]string, error) {
	var args []string
	for _, f := range []struct{ flag, value string }{
		{"--type", o.Type},
		{"--cipher", o.Cipher},
		{"--integrity", o.Integrity},
		{"--pbkdf", o.PBKDF},
	} {
		if f.value == "" {
			continue
		}
		if !isToken(f.value) {
			return nil, fmt.Errorf("%s %q is not valid", f.flag, f.value)
		}
		args = append(args, f.flag, f.value)
	}
	if o.Integrity != "" && o.Type != TypeLUKS2 {
		return nil, fmt.Errorf("integrity %q needs type %s, not %q", o.Integrity, TypeLUKS2, o.Type)
	}
	if o.IntegrityNoWipe {
		if o.Integrity == "" {
			return nil, fmt.Errorf("integrity-no-wipe without integrity")
		}
		args = append(args, "--integrity-no-wipe")
	}
	for _, f := range []struct {
		flag  string
		value int
		ok    bool
	}{
		{"--key-size", o.KeySize, o.KeySize%8 == 0},
		{"--sector-size", o.SectorSize, o.SectorSize >= 512 && o.SectorSize <= 4096 && o.SectorSize&(o.SectorSize-1) == 0},
		{"--pbkdf-force-iterations", o.PBKDFIterations, true},
	} {
		switch {
		case f.value == 0:
		case f.value < 0 || !f.ok:
			return nil, fmt.Errorf("%s %d is not valid", f.flag, f.value)
		default:
			args = append(args, f.flag, strconv.Itoa(f.value))
		}
	}
	return args, nil
}

// OpenOptions are the flags of open.
type OpenOptions struct {
	// Type is the header format expected; "luks2" when empty.
	Type string
	// IntegrityNoJournal opens dm-integrity without its journal: faster,
	// and a crash may only tear sectors of scratch that is thrown away
	// anyway.
	IntegrityNoJournal bool
}

// ScratchOpen returns the options the reference opens encrypted scratch
// with: no integrity journal.
func ScratchOpen() OpenOptions {
	return OpenOptions{Type: TypeLUKS2, IntegrityNoJournal: true}
}

// args renders o as open flags.
func (o OpenOptions) args() ([]string, error) {
	typ := o.Type
	if typ == "" {
		typ = TypeLUKS2
	}
	if !isToken(typ) {
		return nil, fmt.Errorf("--type %q is not valid", typ)
	}
	args := []string{"--type", typ}
	if o.IntegrityNoJournal {
		args = append(args, "--integrity-no-journal")
	}
	return args, nil
}

// CloseOptions are the flags of close.
type CloseOptions struct {
	// Deferred removes the mapping once its last user closes it (at once
	// if it has none): for a file system that was detached while busy.
	Deferred bool
}

// args renders o as close flags.
func (o CloseOptions) args() []string {
	if o.Deferred {
		return []string{"--deferred"}
	}
	return nil
}

// isToken reports whether s is a plain algorithm or format name such as
// "aes-xts-plain64", never something cryptsetup could take for a flag.
func isToken(s string) bool {
	if s == "" || strings.HasPrefix(s, "-") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_()", r)) {
			return false
		}
	}
	return true
}
