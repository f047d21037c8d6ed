package pmem

import (
	"math"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Verity refuses sizes whose hash offset or block size would not survive
// the arithmetic: a data size that leaves no room for the superblock
// before the tree, a block size that a uint32 truncates.
func TestVerityBounds(t *testing.T) {
	digest := strings.Repeat("ab", 32)
	top := int64(math.MaxInt64) &^ 4095 // the largest multiple of 4096
	for _, tc := range []struct {
		name    string
		v       prot.DeviceVerityInfo
		wantErr string // "" accepted
		offset  uint64 // HashOffset when accepted
	}{
		{"plain", prot.DeviceVerityInfo{Ext4SizeInBytes: 1 << 20, RootDigest: digest}, "", 1 << 20},
		{"superblock", prot.DeviceVerityInfo{Ext4SizeInBytes: 1 << 20, SuperBlock: true, RootDigest: digest}, "", 1<<20 + 4096},
		{"largest data without superblock", prot.DeviceVerityInfo{Ext4SizeInBytes: top, RootDigest: digest}, "", uint64(top)},
		{"superblock past the int64 range", prot.DeviceVerityInfo{Ext4SizeInBytes: top, SuperBlock: true, RootDigest: digest}, "too large", 0},
		{"block size truncated by uint32", prot.DeviceVerityInfo{Ext4SizeInBytes: 1 << 33, BlockSize: 1 << 32, RootDigest: digest}, "block size", 0},
		{"block size above a page", prot.DeviceVerityInfo{Ext4SizeInBytes: 1 << 20, BlockSize: 8192, RootDigest: digest}, "block size", 0},
		{"negative block size", prot.DeviceVerityInfo{Ext4SizeInBytes: 1 << 20, BlockSize: -4096, RootDigest: digest}, "block size", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Verity("/dev/pmem0", &tc.v)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Verity = %+v, %v; want an error mentioning %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.HashOffset != tc.offset || uint64(got.DataBlockSize)*got.DataBlocks != uint64(tc.v.Ext4SizeInBytes) {
				t.Errorf("Verity = %+v, want hash offset %d and %d data bytes", got, tc.offset, tc.v.Ext4SizeInBytes)
			}
		})
	}
}
