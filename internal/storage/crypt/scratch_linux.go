package crypt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/storage/devmapper"
)

// Scratch makes encrypted scratch devices with cryptsetup.
type Scratch struct {
	Cryptsetup Cryptsetup
	// KeyDir is the memory-backed directory key files are briefly written
	// to; DefaultKeyDir when empty.
	KeyDir string
}

// Open formats device with LUKS2 and authenticated encryption under a
// fresh random key (ScratchFormat), maps it as the device-mapper device
// name without an integrity journal (ScratchOpen) and returns the path of
// the mapping, /dev/mapper/<name>. The key file is gone when Open
// returns; so is the mapping if Open fails. Whatever device held before is
// lost.
func (s *Scratch) Open(ctx context.Context, device, name string) (path string, err error) {
	dir := s.KeyDir
	if dir == "" {
		dir = DefaultKeyDir
	}
	opened := false
	err = withKeyFile(dir, func(keyFile string) error {
		if err := s.Cryptsetup.LuksFormat(ctx, device, keyFile, ScratchFormat()); err != nil {
			return err
		}
		if err := s.Cryptsetup.Open(ctx, device, name, keyFile, ScratchOpen()); err != nil {
			return err
		}
		opened = true
		return nil
	})
	if err == nil {
		path = devmapper.Path(name)
		err = zeroHead(path)
	}
	if err != nil {
		if opened {
			if cerr := s.Close(context.WithoutCancel(ctx), name, false); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
		return "", fmt.Errorf("encrypt %s: %w", device, err)
	}
	s.Cryptsetup.log().WithFields(logrus.Fields{"device": device, "crypt": name}).Info("opened encrypted scratch with a throw-away key")
	return path, nil
}

// Close removes the mapping name that Open made; deferred leaves it until
// its last user (a detached mount) is gone.
func (s *Scratch) Close(ctx context.Context, name string, deferred bool) error {
	return s.Cryptsetup.Close(ctx, name, CloseOptions{Deferred: deferred})
}

// headSize is how much of the start of a new mapping zeroHead writes:
// where mkfs and the signature probes it runs (libblkid) look.
const headSize = 1 << 20

// zeroHead writes zeros over the first headSize bytes of the mapping at
// path (all of it if it is smaller). Without an integrity wipe no sector
// has a valid tag until it is written, so a read of one fails (and the
// kernel logs an integrity error); mkfs reads the start of the device to
// look for existing signatures, and those reads must find zeros.
func zeroHead(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("zero the start of the mapping: %w", err)
	}
	n := int64(headSize)
	size, err := f.Seek(0, io.SeekEnd)
	if err == nil && size < n {
		n = size
	}
	if err == nil {
		_, err = f.WriteAt(make([]byte, n), 0)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("zero the start of %s: %w", path, err)
	}
	return nil
}
