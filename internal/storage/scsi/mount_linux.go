package scsi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/crypt"
	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// Mount mounts the block device device (from Lookup.Device) at target as
// o says, creating target. On failure it leaves nothing mounted, no
// encrypted mapping and no key file behind.
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
	if err := mount.MakeTarget(target, m.AllowedRoots); err != nil {
		return fmt.Errorf("mount SCSI disk %s: %w", device, err)
	}
	source := device
	if o.Encrypted {
		name := CryptName(target)
		if source, err = m.scratch(log).Open(ctx, device, name); err != nil {
			return fmt.Errorf("mount SCSI disk %s: %w", device, err)
		}
		defer func() {
			if err != nil {
				if cerr := m.scratch(log).Close(context.WithoutCancel(ctx), name, false); cerr != nil {
					log.WithError(cerr).Warn("close encrypted scratch after a failed mount")
				}
			}
		}()
	}
	if o.Verity != nil {
		name := VerityName(target)
		if source, err = openVerity(ctx, device, name, o.Verity); err != nil {
			return fmt.Errorf("mount SCSI disk %s: %w", device, err)
		}
		defer func() {
			if err != nil {
				if rerr := devmapper.Remove(context.WithoutCancel(ctx), name); rerr != nil {
					log.WithError(rerr).Warn("remove dm-verity device after a failed mount")
				}
			}
		}()
	}
	fstypes, err := m.prepare(ctx, log, source, o)
	if err != nil {
		return err
	}
	// The mount goes on the directory checked and made above, through a
	// descriptor: a directory on the way swapped for a link since (while
	// mkfs ran) cannot lead it out of the roots.
	at, err := mount.OpenTarget(target, m.AllowedRoots)
	if err != nil {
		return fmt.Errorf("mount SCSI disk %s: %w", device, err)
	}
	defer at.Close()
	var errs []error
	for _, fstype := range fstypes {
		flags, data := uintptr(0), ""
		if o.ReadOnly {
			flags |= unix.MS_RDONLY
			data = readOnlyData(fstype)
		}
		err := unix.Mount(source, at.Path(), fstype, flags, data)
		if err == nil {
			if err := setPropagation(at, o.Options); err != nil {
				return fmt.Errorf("mount SCSI disk %s at %s: %w", device, target, err)
			}
			log.WithFields(logrus.Fields{"fstype": fstype, "readonly": o.ReadOnly, "encrypted": o.Encrypted, "options": o.Options}).Info("mounted SCSI disk")
			return nil
		}
		errs = append(errs, fmt.Errorf("mount %s (%s, %q) at %s: %w", source, fstype, data, target, err))
	}
	return fmt.Errorf("mount SCSI disk %s: %w", device, errors.Join(errs...))
}

// setPropagation applies the propagation options opts to the mount just
// made on at; if that fails, it detaches the mount. A mount that cannot be
// reached by name any more (a container in a mount namespace of its own,
// where the mount did not propagate, moved the mount point away) is
// detached through the directory held (Target.Detach), wherever it is now.
func setPropagation(at *mount.Target, opts []string) error {
	if len(opts) == 0 {
		return nil
	}
	p, done, err := at.OpenMounted()
	if err != nil {
		return errors.Join(err, at.Detach())
	}
	defer done()
	if err := mount.SetPropagation(p, opts); err != nil {
		if derr := unix.Unmount(p, unix.MNT_DETACH); derr != nil {
			err = errors.Join(err, fmt.Errorf("detach mount: %w", derr))
		}
		return err
	}
	return nil
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

// scratch returns the encrypted scratch maker of m, whose cryptsetup runs
// through m.Run like mkfs.
func (m *Mounter) scratch(log *logrus.Entry) *crypt.Scratch {
	return &crypt.Scratch{
		Cryptsetup: crypt.Cryptsetup{Command: m.Cryptsetup, Run: m.Run, Log: log},
		KeyDir:     m.KeyDir,
	}
}

// link makes target a symbolic link to device (BlockDev). Its missing
// parents are made, and the link in the last of them, through no symbolic
// link below the allowed roots.
func (m *Mounter) link(log *logrus.Entry, device, target string) error {
	if _, err := mount.MakeDirs(filepath.Dir(target), m.AllowedRoots, 0o755); err != nil {
		return fmt.Errorf("link SCSI disk %s: %w", device, err)
	}
	if err := mount.MakeLink(target, device, m.AllowedRoots); err != nil {
		return fmt.Errorf("link SCSI disk %s: %w", device, err)
	}
	log.Info("linked SCSI block device")
	return nil
}

// Unmount undoes Mount at target: unmounts the disk (never following a
// link there: a BlockDev link has nothing mounted) and closes its encrypted
// mapping if it was Encrypted. The mount point or link stays: only its
// maker knows whether it made it (see hcsv2). Nothing there is not an
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
	if err := closeVerity(ctx, VerityName(target), detached); err != nil {
		return fmt.Errorf("unmount SCSI disk at %s: %w", target, err)
	}
	name := CryptName(target)
	if ok, err := devmapper.Exists(ctx, name); err != nil {
		return fmt.Errorf("unmount SCSI disk at %s: %w", target, err)
	} else if ok {
		if err := m.scratch(log).Close(ctx, name, detached); err != nil {
			return fmt.Errorf("unmount SCSI disk at %s: %w", target, err)
		}
		log.WithFields(logrus.Fields{"crypt": name, "deferred": detached}).Info("closed encrypted scratch")
	}
	return nil
}
