package main

import (
	"flag"
	"io"
	"math"

	"github.com/linux-gcs/gcs/internal/prot"
)

// pmemDeviceFlag defines --device on fs.
func pmemDeviceFlag(fs *flag.FlagSet) *uint64 {
	return fs.Uint64("device", 0, "`N` of the device /dev/pmemN (required)")
}

// checkPmemDevice validates --device.
func checkPmemDevice(cmd string, fs *flag.FlagSet, device uint64) error {
	if err := requireFlags(cmd, setFlags(fs), "device"); err != nil {
		return err
	}
	if device > math.MaxUint32 {
		return usageErrorf("%s: --device %d out of range", cmd, device)
	}
	return nil
}

// pmemAddCommand mounts a VPMem device.
func pmemAddCommand() command {
	return command{
		name:    "pmem add",
		args:    "--device N [--offset B --size B] MOUNTPATH",
		summary: "mount /dev/pmemN read-only at MOUNTPATH (VPMemDevice Add)",
		detail: `With --offset and --size only that byte range of the device is mounted, as
when several layers share one device.`,
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			device := pmemDeviceFlag(fs)
			offset := fs.Uint64("offset", 0, "byte offset `B` of the range to mount")
			size := fs.Uint64("size", 0, "size `B` in bytes of the range to mount")
			return func(args []string, _ io.Reader) (action, error) {
				if err := checkPmemDevice("pmem add", fs, *device); err != nil {
					return nil, err
				}
				set := setFlags(fs)
				if set["offset"] != set["size"] {
					return nil, usageErrorf("pmem add: --offset and --size go together")
				}
				if set["size"] && *size == 0 {
					return nil, usageErrorf("pmem add: --size must not be 0")
				}
				path, err := mountPathArg("pmem add", args)
				if err != nil {
					return nil, err
				}
				settings := &prot.LCOWMappedVPMemDevice{DeviceNumber: uint32(*device), MountPath: path}
				if set["size"] {
					settings.MappingInfo = &prot.LCOWVPMemMappingInfo{DeviceOffsetInBytes: *offset, DeviceSizeInBytes: *size}
				}
				return modifyVM(prot.ResourceTypeVPMemDevice, prot.RequestTypeAdd, settings), nil
			}
		},
	}
}

// pmemRemoveCommand unmounts a VPMem device.
func pmemRemoveCommand() command {
	return command{
		name:      "pmem remove",
		args:      "--device N MOUNTPATH",
		summary:   "unmount /dev/pmemN from MOUNTPATH (VPMemDevice Remove)",
		negotiate: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			device := pmemDeviceFlag(fs)
			return func(args []string, _ io.Reader) (action, error) {
				if err := checkPmemDevice("pmem remove", fs, *device); err != nil {
					return nil, err
				}
				path, err := mountPathArg("pmem remove", args)
				if err != nil {
					return nil, err
				}
				return modifyVM(prot.ResourceTypeVPMemDevice, prot.RequestTypeRemove,
					&prot.LCOWMappedVPMemDevice{DeviceNumber: uint32(*device), MountPath: path}), nil
			}
		},
	}
}
