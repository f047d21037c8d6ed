package scsi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// Mounter mounts SCSI disks as MappedVirtualDisk asks. Its zero value
// looks devices up in /sys and /dev, allows any target and runs mkfs with
// os/exec.
type Mounter struct {
	Lookup Lookup
	// AllowedRoots, when not empty, confines targets to paths strictly
	// below one of these directories (symbolic links resolved). The GCS
	// passes the directories the host mounts disks under, e.g. /run/mounts
	// and its container state root /run/gcs/c.
	AllowedRoots []string
	// Run runs a utility command (mkfs.ext4, mkfs.xfs, cryptsetup) and
	// returns its combined output. Nil runs it with os/exec; a process that
	// is a child subreaper passes its reaper's CombinedOutput, so that the
	// reaper does not take the command's exit status from os/exec.
	Run func(cmd *exec.Cmd) ([]byte, error)
	// Cryptsetup is the cryptsetup binary Encrypted mounts use;
	// "cryptsetup" from PATH when empty.
	Cryptsetup string
	// KeyDir is the memory-backed directory where the throw-away key of an
	// Encrypted mount is written for cryptsetup and removed right after;
	// crypt.DefaultKeyDir (/run) when empty.
	KeyDir string
	Log    *logrus.Entry
}

// MountOptions are the MappedVirtualDisk settings that shape a mount.
type MountOptions struct {
	ReadOnly bool
	// Filesystem is "ext4" or "xfs" when EnsureFilesystem or Encrypted
	// is set (ext4 when empty); otherwise it forces the mount type, any
	// file system the kernel knows.
	Filesystem string
	// EnsureFilesystem formats the device with Filesystem unless it
	// already carries it (an existing file system of that type is never
	// reformatted; one of another type is).
	EnsureFilesystem bool
	// Options may only hold propagation flags (shared, rshared, slave,
	// rslave, private, rprivate, unbindable, runbindable), applied in
	// order after mounting.
	Options []string
	// BlockDev makes the target a symbolic link to the device instead of
	// a mount; ReadOnly, Filesystem and Options do not apply to it.
	BlockDev bool
	// Encrypted formats the device with LUKS2 and authenticated encryption
	// under a random, never stored key (see package crypt), opens it and
	// formats that with Filesystem (ext4 when empty): scratch space whose
	// content does not outlive the mount.
	Encrypted bool
	// Verity, for a ReadOnly mount, mounts the layer through a dm-verity
	// device made from what the guest read of the device's superblock,
	// checked against its root digest before the mount.
	Verity *devmapper.VerityInfo
}

// check validates o before anything is done.
func (o MountOptions) check() error {
	if err := mount.CheckPropagation(o.Options); err != nil {
		return err
	}
	if o.BlockDev && o.Encrypted {
		return errors.New("BlockDev and Encrypted cannot be combined")
	}
	if o.Verity != nil && (!o.ReadOnly || o.BlockDev || o.Encrypted) {
		return errors.New("dm-verity is for read-only file system mounts only")
	}
	if o.Filesystem != "" && !isFSName(o.Filesystem) {
		return fmt.Errorf("file system %q is not valid", o.Filesystem)
	}
	if (o.EnsureFilesystem || o.Encrypted) && o.Filesystem != "" && o.Filesystem != mount.Ext4 && o.Filesystem != mount.XFS {
		return fmt.Errorf("cannot format %q: only ext4 and xfs are supported", o.Filesystem)
	}
	return nil
}

// formatFS returns the file system Mount formats with, if it does.
func (o MountOptions) formatFS() string {
	if o.Filesystem == "" {
		return mount.Ext4
	}
	return o.Filesystem
}

func isFSName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return false
		}
	}
	return s != ""
}

// VerityName returns the name of the dm-verity device Mount makes for a
// Verity mount at target, derived from the target alone like CryptName.
func VerityName(target string) string {
	sum := sha256.Sum256([]byte(target))
	return "gcs-verity-" + hex.EncodeToString(sum[:8])
}

// CryptName returns the name of the dm-crypt device Mount makes for an
// Encrypted mount at target: derived from the target alone, so that
// Unmount finds it again.
func CryptName(target string) string {
	sum := sha256.Sum256([]byte(target))
	return "gcs-crypt-" + hex.EncodeToString(sum[:8])
}

func (m *Mounter) log() *logrus.Entry {
	if m.Log == nil {
		return logrus.NewEntry(logrus.StandardLogger())
	}
	return m.Log
}

// mkfsCommand returns the command that formats device with fs.
func mkfsCommand(fs, device string) []string {
	if fs == mount.XFS {
		return []string{"mkfs.xfs", "-q", "-f", "-K", device}
	}
	return []string{"mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=1,nodiscard", device}
}
