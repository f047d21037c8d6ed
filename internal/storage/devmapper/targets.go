package devmapper

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// SectorSize is the unit of device-mapper tables.
const SectorSize = 512

// MaxVerityBlockSize is the largest dm-verity block size accepted: the
// kernel takes at most a page (4 KiB on the VMs this GCS runs in).
const MaxVerityBlockSize = 4096

// MaxNameLen is the longest device name device-mapper accepts.
const MaxNameLen = 127

// Table is the table of a device: its targets, in order, and whether the
// device is read-only (verity requires it).
type Table struct {
	ReadOnly bool
	Targets  []Target
}

// Target is one line of a device-mapper table: Length sectors from Start
// mapped by the target Type with its Params.
type Target struct {
	Start  uint64 // sectors
	Length uint64 // sectors
	Type   string // "linear", "verity", "crypt", ...
	Params string // may hold a key: never log it
}

// Linear maps Length bytes of Device from byte Offset, both multiples of
// SectorSize.
type Linear struct {
	Device string // path or major:minor
	Offset uint64 // bytes
	Length uint64 // bytes
}

// Target returns l as the only target of a table.
func (l Linear) Target() (Target, error) {
	if err := checkDevice(l.Device); err != nil {
		return Target{}, fmt.Errorf("linear target: %w", err)
	}
	if l.Offset%SectorSize != 0 || l.Length%SectorSize != 0 || l.Length == 0 {
		return Target{}, fmt.Errorf("linear target: offset %d and length %d must be non-zero multiples of %d", l.Offset, l.Length, SectorSize)
	}
	return Target{
		Length: l.Length / SectorSize,
		Type:   "linear",
		Params: fmt.Sprintf("%s %d", l.Device, l.Offset/SectorSize),
	}, nil
}

// Verity checks every block read from DataDevice against a hash tree on
// HashDevice (which may be the same device) whose root is RootDigest, in
// dm-verity's format Version 1 (the only one supported): no superblock is
// read, the tree starts at HashOffset.
type Verity struct {
	DataDevice    string
	HashDevice    string
	DataBlockSize uint32 // bytes; 4096 when zero
	HashBlockSize uint32 // bytes; DataBlockSize when zero
	DataBlocks    uint64 // blocks of DataBlockSize covered
	HashOffset    uint64 // bytes from the start of HashDevice to the tree, a multiple of HashBlockSize
	Algorithm     string // hash, "sha256" when empty
	RootDigest    string // hex
	Salt          string // hex, empty for none
}

// Target returns v as the only target of a (read-only) table.
func (v Verity) Target() (Target, error) {
	if err := checkDevice(v.DataDevice); err != nil {
		return Target{}, fmt.Errorf("verity data device: %w", err)
	}
	if err := checkDevice(v.HashDevice); err != nil {
		return Target{}, fmt.Errorf("verity hash device: %w", err)
	}
	dbs, hbs := v.DataBlockSize, v.HashBlockSize
	if dbs == 0 {
		dbs = 4096
	}
	if hbs == 0 {
		hbs = dbs
	}
	for _, bs := range []uint32{dbs, hbs} {
		if err := checkBlockSize(bs); err != nil {
			return Target{}, err
		}
	}
	if v.DataBlocks == 0 {
		return Target{}, errors.New("verity target: no data blocks")
	}
	// A product that wraps would give a Length of a few sectors for a huge
	// count: refuse it here rather than hand the kernel such a table.
	hi, size := bits.Mul64(v.DataBlocks, uint64(dbs))
	if hi != 0 {
		return Target{}, fmt.Errorf("verity target: too many data blocks (%d of %d bytes)", v.DataBlocks, dbs)
	}
	if v.HashOffset%uint64(hbs) != 0 {
		return Target{}, fmt.Errorf("verity hash offset %d is not a multiple of the hash block size %d", v.HashOffset, hbs)
	}
	alg := v.Algorithm
	if alg == "" {
		alg = "sha256"
	}
	if !isToken(alg) {
		return Target{}, fmt.Errorf("verity algorithm %q is not valid", alg)
	}
	if _, err := hex.DecodeString(v.RootDigest); err != nil || v.RootDigest == "" {
		return Target{}, fmt.Errorf("verity root digest %q is not hexadecimal", v.RootDigest)
	}
	salt := v.Salt
	if salt == "" {
		salt = "-"
	} else if _, err := hex.DecodeString(salt); err != nil {
		return Target{}, fmt.Errorf("verity salt %q is not hexadecimal", salt)
	}
	return Target{
		Length: size / SectorSize,
		Type:   "verity",
		Params: fmt.Sprintf("1 %s %s %d %d %d %d %s %s %s",
			v.DataDevice, v.HashDevice, dbs, hbs, v.DataBlocks, v.HashOffset/uint64(hbs), alg, v.RootDigest, salt),
	}, nil
}

// checkBlockSize returns an error unless bs is a dm-verity block size
// accepted: a power of two from SectorSize to MaxVerityBlockSize.
// veritysetup allows up to 512 KiB, but dm-verity takes blocks of at most
// a page; the bound also keeps a host-chosen size from sizing a buffer
// (ReadVerityInfo's top block, the check read after a table loads).
func checkBlockSize(bs uint32) error {
	if bs < SectorSize || bs&(bs-1) != 0 {
		return fmt.Errorf("verity block size %d is not a power of two of at least %d", bs, SectorSize)
	}
	if bs > MaxVerityBlockSize {
		return fmt.Errorf("verity block size %d: at most %d is supported", bs, MaxVerityBlockSize)
	}
	return nil
}

// checkName returns an error unless name can name a device-mapper device
// and a node under /dev/mapper.
func checkName(name string) error {
	if name == "" || len(name) > MaxNameLen || name == "." || name == ".." || name == "control" {
		return fmt.Errorf("device-mapper name %q is empty, reserved or longer than %d bytes", name, MaxNameLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.+", r)) {
			return fmt.Errorf("device-mapper name %q: only letters, digits and -_.+ are allowed", name)
		}
	}
	return nil
}

// checkDevice returns an error unless dev can appear in a table line.
func checkDevice(dev string) error {
	if dev == "" || strings.ContainsAny(dev, " \t\n\x00") {
		return fmt.Errorf("device %q is empty or contains white space", dev)
	}
	return nil
}

// isToken reports whether s is a plain name such as "sha256" or
// "aes-xts-plain64".
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_():", r)) {
			return false
		}
	}
	return true
}
