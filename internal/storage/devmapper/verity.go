package devmapper

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// VerityTree is a dm-verity hash tree as BuildVerityTree makes it.
type VerityTree struct {
	// Tree is the hash tree, to be written at the hash offset of the hash
	// device: its levels from the top (one block) down to the level that
	// holds the digests of the data blocks.
	Tree       []byte
	RootDigest []byte
	DataBlocks uint64
}

// BuildVerityTree reads dataSize bytes (a multiple of blockSize) from data
// and returns their dm-verity hash tree in format version 1 with sha256,
// data and hash blocks of blockSize bytes: what `veritysetup format
// --no-superblock --hash-offset=<dataSize>` writes, so that an image made
// of the data followed by Tree is checked by
// Verity{HashOffset: dataSize, RootDigest: hex(RootDigest), ...}.
//
// Each block is hashed as sha256(salt || block). A hash block holds
// 2^k digests, 2^k being the largest power of two that fits
// blockSize/32 digests, each in a blockSize/2^k slot, zero padded; level 0
// holds the digests of the data blocks, level i+1 those of the blocks of
// level i, up to a level of one block, whose digest is the root. A single
// data block has no tree: its digest is the root.
func BuildVerityTree(data io.Reader, dataSize int64, blockSize uint32, salt []byte) (VerityTree, error) {
	if blockSize < SectorSize || blockSize&(blockSize-1) != 0 {
		return VerityTree{}, fmt.Errorf("verity block size %d is not a power of two of at least %d", blockSize, SectorSize)
	}
	if dataSize <= 0 || dataSize%int64(blockSize) != 0 {
		return VerityTree{}, fmt.Errorf("verity data size %d is not a positive multiple of the block size %d", dataSize, blockSize)
	}
	perBlockBits := bits.Len32(blockSize/sha256.Size) - 1
	slot := int(blockSize >> perBlockBits)
	perBlock := 1 << perBlockBits

	hash := func(b []byte) []byte {
		h := sha256.New()
		h.Write(salt)
		h.Write(b)
		return h.Sum(nil)
	}
	n := uint64(dataSize) / uint64(blockSize)
	digests := make([][]byte, 0, n)
	block := make([]byte, blockSize)
	for i := uint64(0); i < n; i++ {
		if _, err := io.ReadFull(data, block); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			return VerityTree{}, fmt.Errorf("read verity data block %d: %w", i, err)
		}
		digests = append(digests, hash(block))
	}
	var levels [][]byte // bottom up
	for len(digests) > 1 {
		nblocks := (len(digests) + perBlock - 1) / perBlock
		level := make([]byte, nblocks*int(blockSize))
		for i, d := range digests {
			copy(level[i*slot:], d)
		}
		levels = append(levels, level)
		digests = digests[:0:0]
		for b := 0; b < nblocks; b++ {
			digests = append(digests, hash(level[b*int(blockSize):(b+1)*int(blockSize)]))
		}
	}
	var tree []byte
	for i := len(levels) - 1; i >= 0; i-- {
		tree = append(tree, levels[i]...)
	}
	return VerityTree{Tree: tree, RootDigest: digests[0], DataBlocks: n}, nil
}
