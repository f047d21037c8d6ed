package scsi

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// Mount mounts the block device device (from Lookup.Device) at target as
// o says, creating target. On failure it leaves nothing mounted and no
// dm-crypt device behind.
func (m *Mounter) Mount(ctx context.Context, device, target string, o MountOptions) (err error) {
	log := m.log().WithFields(logrus.Fields{"device": device, "target": target})
	if err := mount.CheckPath(device); err != nil {
		return fmt.Errorf("mount SCSI disk: device: %w", err)
	}
	if err := mount.CheckTarget(target, m.AllowedRoots); err != nil {
		return fmt.Errorf("mount SCSI disk %s: target: %w", device, err)
	}
	if err := o.check(); err != nil {
		return fmt.Errorf("mount SCSI disk %s at %s: %w", device, target, err)
	}
	if o.BlockDev {
		return m.link(log, device, target)
	}
	if err := mount.MakeTarget(target); err != nil {
		return fmt.Errorf("mount SCSI disk %s: %w", device, err)
	}
	source := device
	if o.Encrypted {
		if source, err = m.encrypt(ctx, log, device, target); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				if rerr := devmapper.Remove(context.WithoutCancel(ctx), CryptName(target)); rerr != nil {
					log.WithError(rerr).Warn("remove dm-crypt device after a failed mount")
				}
			}
		}()
	}
	fstypes, err := m.prepare(ctx, log, source, o)
	if err != nil {
		return err
	}
	var errs []error
	for _, fstype := range fstypes {
		flags, data := uintptr(0), ""
		if o.ReadOnly {
			flags |= unix.MS_RDONLY
			data = readOnlyData(fstype)
		}
		err := unix.Mount(source, target, fstype, flags, data)
		if err == nil {
			if err := mount.SetPropagation(target, o.Options); err != nil {
				unix.Unmount(target, unix.MNT_DETACH)
				return fmt.Errorf("mount SCSI disk %s at %s: %w", device, target, err)
			}
			log.WithFields(logrus.Fields{"fstype": fstype, "readonly": o.ReadOnly, "encrypted": o.Encrypted, "options": o.Options}).Info("mounted SCSI disk")
			return nil
		}
		errs = append(errs, fmt.Errorf("mount %s (%s, %q) at %s: %w", source, fstype, data, target, err))
	}
	return fmt.Errorf("mount SCSI disk %s: %w", device, errors.Join(errs...))
}

// readOnlyData returns the mount data of a read-only mount of fstype: the
// journal is not replayed, since the device may be read-only too.
func readOnlyData(fstype string) string {
	switch fstype {
	case mount.Ext4:
		return "noload"
	case mount.XFS:
		return "norecovery"
	}
	return ""
}

// prepare formats source if o asks and returns the file system types to
// try mounting it as, in order.
func (m *Mounter) prepare(ctx context.Context, log *logrus.Entry, source string, o MountOptions) ([]string, error) {
	switch {
	case o.Encrypted:
		return []string{o.formatFS()}, m.format(ctx, log, source, o.formatFS())
	case o.EnsureFilesystem:
		have, err := mount.Probe(source)
		if err != nil {
			return nil, fmt.Errorf("ensure file system: %w", err)
		}
		if have == o.formatFS() {
			log.WithField("fstype", have).Debug("device already carries its file system")
			return []string{have}, nil
		}
		return []string{o.formatFS()}, m.format(ctx, log, source, o.formatFS())
	case o.Filesystem != "":
		return []string{o.Filesystem}, nil
	}
	have, err := mount.Probe(source)
	if err != nil {
		return nil, err
	}
	if have != "" {
		return []string{have}, nil
	}
	return []string{mount.Ext4, mount.XFS}, nil
}

// format makes the file system fs on device.
func (m *Mounter) format(ctx context.Context, log *logrus.Entry, device, fs string) error {
	args := mkfsCommand(fs, device)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	run := m.Run
	if run == nil {
		run = (*exec.Cmd).CombinedOutput
	}
	log.WithField("fstype", fs).Info("formatting SCSI disk")
	if out, err := run(cmd); err != nil {
		return fmt.Errorf("format %s as %s: %w: %s", device, fs, err, bytes.TrimSpace(out))
	}
	return nil
}

// encrypt puts a plain dm-crypt device with a fresh random key over device
// and returns its path. The key lives only in the kernel.
func (m *Mounter) encrypt(ctx context.Context, log *logrus.Entry, device, target string) (string, error) {
	size, err := mount.DeviceSize(device)
	if err != nil {
		return "", fmt.Errorf("encrypt SCSI disk: %w", err)
	}
	size &^= devmapper.SectorSize - 1
	key := make([]byte, 64) // aes-xts-plain64 with AES-256
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("encrypt SCSI disk %s: generate key: %w", device, err)
	}
	tg, err := devmapper.Crypt{Device: device, Length: size, Key: key}.Target()
	clear(key)
	if err != nil {
		return "", fmt.Errorf("encrypt SCSI disk %s: %w", device, err)
	}
	name := CryptName(target)
	p, err := devmapper.Create(ctx, name, devmapper.Table{Targets: []devmapper.Target{tg}})
	if err != nil {
		return "", fmt.Errorf("encrypt SCSI disk %s: %w", device, err)
	}
	log.WithField("crypt", name).Info("created dm-crypt device with a throw-away key")
	return p, nil
}

// link makes target a symbolic link to device (BlockDev).
func (m *Mounter) link(log *logrus.Entry, device, target string) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("link SCSI disk %s: %w", device, err)
	}
	if cur, err := os.Readlink(target); err == nil && cur == device {
		return nil
	}
	if err := os.Symlink(device, target); err != nil {
		return fmt.Errorf("link SCSI disk %s at %s: %w", device, target, err)
	}
	log.Info("linked SCSI block device")
	return nil
}

// Unmount undoes Mount at target: unmounts the disk (never following a
// link there: a BlockDev link has nothing mounted) and removes its
// dm-crypt device if it was Encrypted. The mount point or link stays: only
// its maker knows whether it made it (see hcsv2). Nothing there is not an
// error, so a repeated Remove succeeds.
func (m *Mounter) Unmount(ctx context.Context, target string) error {
	log := m.log().WithField("target", target)
	if err := mount.CheckTarget(target, m.AllowedRoots); err != nil {
		return fmt.Errorf("unmount SCSI disk: target: %w", err)
	}
	fi, err := os.Lstat(target)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil // a BlockDev link: nothing mounted, no dm-crypt
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unmount SCSI disk at %s: %w", target, err)
	}
	detached := false
	if err == nil {
		if detached, err = mount.Unmount(ctx, target); err != nil {
			return fmt.Errorf("unmount SCSI disk: %w", err)
		}
		if detached {
			log.Warn("SCSI disk mount was busy: detached it")
		}
	}
	name := CryptName(target)
	if ok, err := devmapper.Exists(ctx, name); err != nil {
		return fmt.Errorf("unmount SCSI disk at %s: %w", target, err)
	} else if ok {
		remove := devmapper.Remove
		if detached {
			remove = devmapper.RemoveDeferred
		}
		if err := remove(ctx, name); err != nil {
			return fmt.Errorf("unmount SCSI disk at %s: %w", target, err)
		}
		log.WithField("crypt", name).Info("removed dm-crypt device")
	}
	return nil
}
