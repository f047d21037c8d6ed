package main

import (
	"flag"
	"io"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Limits of a SCSI address: the host numbers its four controllers 0..3
// and LUNs fit a byte.
const (
	maxController = 3
	maxLun        = 255
)

// scsiAddr is the --controller and --lun flags of the disk commands.
type scsiAddr struct {
	controller, lun uint
}

// register defines the flags on fs.
func (a *scsiAddr) register(fs *flag.FlagSet) {
	fs.UintVar(&a.lun, "lun", 0, "`N`, the disk's LUN, 0..255 (required)")
	fs.UintVar(&a.controller, "controller", 0, "`N`, the host's SCSI controller index, 0..3")
}

// check validates the flags parsed by fs.
func (a *scsiAddr) check(cmd string, fs *flag.FlagSet) error {
	if err := requireFlags(cmd, setFlags(fs), "lun"); err != nil {
		return err
	}
	if a.lun > maxLun {
		return usageErrorf("%s: --lun %d out of range 0..%d", cmd, a.lun, maxLun)
	}
	if a.controller > maxController {
		return usageErrorf("%s: --controller %d out of range 0..%d", cmd, a.controller, maxController)
	}
	return nil
}

// diskAddCommand mounts a SCSI disk.
func diskAddCommand() command {
	return command{
		name: "disk add",
		args: "--lun N [--controller N] [--partition N] [--ro] [--fs ext4|xfs] [--ensure-fs] " +
			"[--block-dev] [--encrypted] [--option O]... MOUNTPATH",
		summary: "mount a SCSI disk at MOUNTPATH in the guest (MappedVirtualDisk Add)",
		detail: `--ensure-fs formats the disk with --fs unless it already carries that file
system; --fs alone forces the mount type. --block-dev links the block device at
MOUNTPATH instead of mounting it. --encrypted sets up dm-crypt with a fresh key.
--option passes a mount option (the GCS honours only propagation flags).`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			var addr scsiAddr
			var options stringList
			addr.register(fs)
			partition := fs.Uint64("partition", 0, "partition `N` to mount (0: the whole disk)")
			ro := fs.Bool("ro", false, "mount read-only")
			fsType := fs.String("fs", "", "file system `TYPE`: ext4 or xfs")
			ensure := fs.Bool("ensure-fs", false, "format with --fs if the disk does not carry it")
			blockDev := fs.Bool("block-dev", false, "expose the block device at MOUNTPATH instead of mounting")
			encrypted := fs.Bool("encrypted", false, "encrypt the disk with dm-crypt")
			fs.Var(&options, "option", "mount option `O`; repeat for more")
			return func(args []string, _ io.Reader) (action, error) {
				if err := addr.check("disk add", fs); err != nil {
					return nil, err
				}
				switch *fsType {
				case "", "ext4", "xfs":
				default:
					return nil, usageErrorf("disk add: --fs %q: want ext4 or xfs", *fsType)
				}
				if *ensure && *fsType == "" {
					return nil, usageErrorf("disk add: --ensure-fs needs --fs")
				}
				path, err := mountPathArg("disk add", args)
				if err != nil {
					return nil, err
				}
				return modifyVM(prot.ResourceTypeMappedVirtualDisk, prot.RequestTypeAdd, &prot.LCOWMappedVirtualDisk{
					MountPath:        path,
					Lun:              uint8(addr.lun),
					Controller:       uint8(addr.controller),
					Partition:        *partition,
					ReadOnly:         *ro,
					Encrypted:        *encrypted,
					Options:          options,
					BlockDev:         *blockDev,
					EnsureFilesystem: *ensure,
					Filesystem:       *fsType,
				}), nil
			}
		},
	}
}

// diskRemoveCommand unmounts a SCSI disk.
func diskRemoveCommand() command {
	return command{
		name:      "disk remove",
		args:      "--lun N [--controller N] MOUNTPATH",
		summary:   "unmount the SCSI disk at MOUNTPATH (MappedVirtualDisk Remove)",
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			var addr scsiAddr
			addr.register(fs)
			return func(args []string, _ io.Reader) (action, error) {
				if err := addr.check("disk remove", fs); err != nil {
					return nil, err
				}
				path, err := mountPathArg("disk remove", args)
				if err != nil {
					return nil, err
				}
				return modifyVM(prot.ResourceTypeMappedVirtualDisk, prot.RequestTypeRemove, &prot.LCOWMappedVirtualDisk{
					MountPath: path, Lun: uint8(addr.lun), Controller: uint8(addr.controller),
				}), nil
			}
		},
	}
}

// diskUnplugCommand removes a SCSI device from the guest.
func diskUnplugCommand() command {
	return command{
		name:      "disk unplug",
		args:      "--lun N [--controller N]",
		summary:   "unplug the SCSI device at a LUN from the guest (SCSIDevice Remove)",
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			var addr scsiAddr
			addr.register(fs)
			return func(args []string, _ io.Reader) (action, error) {
				if err := addr.check("disk unplug", fs); err != nil {
					return nil, err
				}
				if len(args) != 0 {
					return nil, usageErrorf("disk unplug takes no arguments, got %q", args)
				}
				return modifyVM(prot.ResourceTypeSCSIDevice, prot.RequestTypeRemove, &prot.SCSIDevice{
					Controller: uint8(addr.controller), Lun: uint8(addr.lun),
				}), nil
			}
		},
	}
}
