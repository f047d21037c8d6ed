package pmem

import (
	"context"
	"fmt"
	"os"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// Mount mounts the layer on VPMem device deviceNumber read-only at target
// (created), through dm-linear and dm-verity devices as o asks. On failure
// it leaves no mount and no device-mapper device behind.
func Mount(ctx context.Context, deviceNumber uint32, target string, o Options) (err error) {
	log := o.log().WithFields(logrus.Fields{"pmem": deviceNumber, "target": target})
	if err := mount.CheckTarget(target, o.AllowedRoots); err != nil {
		return fmt.Errorf("mount VPMem device %d: target: %w", deviceNumber, err)
	}
	if err := mount.MakeTarget(target, o.AllowedRoots); err != nil {
		return fmt.Errorf("mount VPMem device %d: %w", deviceNumber, err)
	}
	// The layer goes on the directory checked and made above, through a
	// descriptor: a directory on the way swapped for a link since (while
	// the device-mapper devices are made) cannot lead it out of the roots.
	at, err := mount.OpenTarget(target, o.AllowedRoots)
	if err != nil {
		return fmt.Errorf("mount VPMem device %d: %w", deviceNumber, err)
	}
	defer at.Close()
	source := DevicePath(o.DevRoot, deviceNumber)
	if _, err := os.Stat(source); err != nil {
		return fmt.Errorf("mount VPMem device %d: %w", deviceNumber, err)
	}
	var created []string // device-mapper devices, in creation order
	defer func() {
		if err != nil {
			for i := len(created) - 1; i >= 0; i-- {
				if rerr := devmapper.Remove(context.WithoutCancel(ctx), created[i]); rerr != nil {
					log.WithError(rerr).Warn("remove device-mapper device after a failed mount")
				}
			}
		}
	}()
	if m := o.MappingInfo; m != nil {
		tg, err := devmapper.Linear{Device: source, Offset: m.DeviceOffsetInBytes, Length: m.DeviceSizeInBytes}.Target()
		if err != nil {
			return fmt.Errorf("mount VPMem device %d: mapping: %w", deviceNumber, err)
		}
		name := LinearName(deviceNumber, m)
		if source, err = devmapper.Create(ctx, name, devmapper.Table{ReadOnly: true, Targets: []devmapper.Target{tg}}); err != nil {
			return fmt.Errorf("mount VPMem device %d: %w", deviceNumber, err)
		}
		created = append(created, name)
		log.WithFields(logrus.Fields{"offset": m.DeviceOffsetInBytes, "size": m.DeviceSizeInBytes, "linear": name}).Debug("mapped VPMem layer")
	}
	if o.Verity != nil {
		if source, err = verity(ctx, deviceNumber, source, o); err != nil {
			return err
		}
		created = append(created, VerityName(deviceNumber, o.MappingInfo))
	}
	if err := unix.Mount(source, at.Path(), "ext4", unix.MS_RDONLY, "noload"); err != nil {
		return fmt.Errorf("mount VPMem device %d (%s, ext4, read-only) at %s: %w", deviceNumber, source, target, err)
	}
	log.WithFields(logrus.Fields{"source": source, "verity": o.Verity != nil}).Info("mounted VPMem layer")
	return nil
}

// verity makes the dm-verity device of the layer on source and checks it
// against the root digest by reading its first block.
func verity(ctx context.Context, deviceNumber uint32, source string, o Options) (string, error) {
	v, err := Verity(source, o.Verity)
	if err != nil {
		return "", fmt.Errorf("mount VPMem device %d: %w", deviceNumber, err)
	}
	tg, err := v.Target()
	if err != nil {
		return "", fmt.Errorf("mount VPMem device %d: %w", deviceNumber, err)
	}
	name := VerityName(deviceNumber, o.MappingInfo)
	p, err := devmapper.Create(ctx, name, devmapper.Table{ReadOnly: true, Targets: []devmapper.Target{tg}})
	if err != nil {
		return "", fmt.Errorf("mount VPMem device %d: %w", deviceNumber, err)
	}
	if err := devmapper.ReadFirstBlock(p, v.DataBlockSize); err != nil {
		devmapper.Remove(context.WithoutCancel(ctx), name)
		return "", fmt.Errorf("mount VPMem device %d: dm-verity check failed: the root digest %s does not match the hash tree, or the layer is corrupt: %w",
			deviceNumber, v.RootDigest, err)
	}
	o.log().WithFields(logrus.Fields{"pmem": deviceNumber, "verity": name, "root": v.RootDigest}).Debug("dm-verity device checked")
	return p, nil
}

// Unmount unmounts the layer of VPMem device deviceNumber at target and
// removes the device-mapper devices Mount made for it, found from the
// same settings. The mount point stays: only its maker knows whether it
// made it (see hcsv2). Nothing there is not an error, so a repeated Remove
// succeeds.
func Unmount(ctx context.Context, deviceNumber uint32, target string, o Options) error {
	log := o.log().WithFields(logrus.Fields{"pmem": deviceNumber, "target": target})
	if err := mount.CheckTarget(target, o.AllowedRoots); err != nil {
		return fmt.Errorf("unmount VPMem device %d: target: %w", deviceNumber, err)
	}
	detached, err := mount.Unmount(ctx, target)
	if err != nil {
		return fmt.Errorf("unmount VPMem device %d: %w", deviceNumber, err)
	}
	var names []string
	if o.Verity != nil {
		names = append(names, VerityName(deviceNumber, o.MappingInfo))
	}
	if o.MappingInfo != nil {
		names = append(names, LinearName(deviceNumber, o.MappingInfo))
	}
	for _, name := range names {
		ok, err := devmapper.Exists(ctx, name)
		if err != nil {
			return fmt.Errorf("unmount VPMem device %d: %w", deviceNumber, err)
		}
		if !ok {
			continue
		}
		remove := devmapper.Remove
		if detached {
			remove = devmapper.RemoveDeferred
		}
		if err := remove(ctx, name); err != nil {
			return fmt.Errorf("unmount VPMem device %d: %w", deviceNumber, err)
		}
	}
	log.WithField("detached", detached).Info("unmounted VPMem layer")
	return nil
}
