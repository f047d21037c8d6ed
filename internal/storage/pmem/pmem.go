package pmem

import (
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/devmapper"
)

// DefaultDevRoot is where the pmem device nodes are.
const DefaultDevRoot = "/dev"

// Options are the VPMemDevice settings besides the device number and the
// mount path, and the seams of this package.
type Options struct {
	// MappingInfo places the layer at a byte range of the device.
	MappingInfo *prot.LCOWVPMemMappingInfo
	// Verity, when set, checks the layer with dm-verity; see Verity.
	// With MappingInfo its sizes and offsets are within the mapped range.
	Verity *prot.DeviceVerityInfo
	// DevRoot holds the pmem<N> nodes, "/dev" when empty; tests point it
	// at a directory of links to loop devices.
	DevRoot string
	// AllowedRoots, when not empty, confines targets to paths strictly
	// below one of these directories (symbolic links resolved).
	AllowedRoots []string
	Log          *logrus.Entry
}

// DevicePath returns the node of VPMem device n under devRoot ("/dev"
// when empty).
func DevicePath(devRoot string, n uint32) string {
	if devRoot == "" {
		devRoot = DefaultDevRoot
	}
	return filepath.Join(devRoot, fmt.Sprintf("pmem%d", n))
}

// LinearName returns the name of the dm-linear device for the range m of
// VPMem device n.
func LinearName(n uint32, m *prot.LCOWVPMemMappingInfo) string {
	return fmt.Sprintf("pmem%d-%d-linear", n, m.DeviceOffsetInBytes)
}

// VerityName returns the name of the dm-verity device of the layer of
// VPMem device n at the range m (nil for the whole device).
func VerityName(n uint32, m *prot.LCOWVPMemMappingInfo) string {
	if m == nil {
		return fmt.Sprintf("pmem%d-verity", n)
	}
	return fmt.Sprintf("pmem%d-%d-verity", n, m.DeviceOffsetInBytes)
}

// Verity returns the dm-verity parameters of a layer on device (a path)
// as the host describes it in v. Supported: format Version 1 (0, the
// unset value, is taken as 1), any Algorithm the kernel has (sha256 when
// empty), equal data and hash BlockSize (4096 when 0, at most a page:
// devmapper.MaxVerityBlockSize), a hex Salt (or none), the data being the
// first Ext4SizeInBytes bytes of the device and the hash tree following
// them, after one block holding a veritysetup superblock when SuperBlock
// is set. The superblock is skipped, not read: the parameters come from v
// alone.
func Verity(device string, v *prot.DeviceVerityInfo) (devmapper.Verity, error) {
	if v.Version != 0 && v.Version != 1 {
		return devmapper.Verity{}, fmt.Errorf("dm-verity format version %d is not supported (only 1)", v.Version)
	}
	bs := int64(v.BlockSize)
	if bs == 0 {
		bs = 4096
	}
	// Bounded before the uint32 conversion below, which would turn 1<<32
	// into 0 (the default 4096) under a block count made with 1<<32.
	if bs < devmapper.SectorSize || bs > devmapper.MaxVerityBlockSize || bs&(bs-1) != 0 {
		return devmapper.Verity{}, fmt.Errorf("dm-verity block size %d is not a power of two from %d to %d",
			v.BlockSize, devmapper.SectorSize, devmapper.MaxVerityBlockSize)
	}
	if v.Ext4SizeInBytes <= 0 || v.Ext4SizeInBytes%bs != 0 {
		return devmapper.Verity{}, fmt.Errorf("dm-verity data size %d is not a positive multiple of the block size %d", v.Ext4SizeInBytes, bs)
	}
	if v.SuperBlock && v.Ext4SizeInBytes > math.MaxInt64-bs {
		return devmapper.Verity{}, fmt.Errorf("dm-verity data size %d is too large: the superblock after it would end past %d bytes", v.Ext4SizeInBytes, int64(math.MaxInt64))
	}
	hashOffset := v.Ext4SizeInBytes
	if v.SuperBlock {
		hashOffset += bs
	}
	if _, err := hex.DecodeString(v.RootDigest); err != nil || v.RootDigest == "" {
		return devmapper.Verity{}, fmt.Errorf("dm-verity root digest %q is not hexadecimal", v.RootDigest)
	}
	return devmapper.Verity{
		DataDevice:    device,
		HashDevice:    device,
		DataBlockSize: uint32(bs),
		HashBlockSize: uint32(bs),
		DataBlocks:    uint64(v.Ext4SizeInBytes / bs),
		HashOffset:    uint64(hashOffset),
		Algorithm:     strings.ToLower(v.Algorithm),
		RootDigest:    strings.ToLower(v.RootDigest),
		Salt:          strings.ToLower(v.Salt),
	}, nil
}

func (o Options) log() *logrus.Entry {
	if o.Log == nil {
		return logrus.NewEntry(logrus.StandardLogger())
	}
	return o.Log
}
