package devmapper

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Layout of a layer image as hosts build them: an ext4 file system, then
// one block holding a veritysetup superblock, then the dm-verity hash tree
// (top level first).
const (
	ext4SuperblockOffset = 1024
	ext4Magic            = 0xEF53
	// veritySuperblockSize is the block the superblock sits in; the tree
	// follows it.
	veritySuperblockSize = 4096
	veritySignature      = "verity\x00\x00"
)

// VerityInfo is what a layer image's veritysetup superblock and hash tree
// say, read by the guest itself (never taken from the host).
type VerityInfo struct {
	// DataSize is the size of the ext4 file system in bytes: where the
	// superblock starts.
	DataSize   int64
	BlockSize  uint32
	DataBlocks uint64
	Version    uint32
	Algorithm  string
	Salt       string // hex
	RootDigest string // hex
}

// veritySuperblock is the on-disk veritysetup superblock, little endian.
type veritySuperblock struct {
	Signature     [8]byte
	Version       uint32
	HashType      uint32
	UUID          [16]byte
	Algorithm     [32]byte
	DataBlockSize uint32
	HashBlockSize uint32
	DataBlocks    uint64
	SaltSize      uint16
	_             [6]byte
	Salt          [256]byte
}

// ReadVerityInfo reads the dm-verity description of a layer image: the
// ext4 size from its superblock, the veritysetup superblock after it, and
// the root digest computed from the top block of the tree (sha256 only).
func ReadVerityInfo(r io.ReaderAt) (VerityInfo, error) {
	dataSize, err := ext4Size(r)
	if err != nil {
		return VerityInfo{}, err
	}
	block := make([]byte, veritySuperblockSize)
	if _, err := r.ReadAt(block, dataSize); err != nil {
		return VerityInfo{}, fmt.Errorf("read dm-verity superblock at %d: %w", dataSize, err)
	}
	var sb veritySuperblock
	if err := binary.Read(bytes.NewReader(block), binary.LittleEndian, &sb); err != nil {
		return VerityInfo{}, fmt.Errorf("parse dm-verity superblock: %w", err)
	}
	if string(sb.Signature[:]) != veritySignature {
		return VerityInfo{}, errors.New("no dm-verity superblock after the file system")
	}
	algo := string(bytes.TrimRight(sb.Algorithm[:], "\x00"))
	switch {
	case sb.Version != 1:
		return VerityInfo{}, fmt.Errorf("dm-verity superblock version %d is not supported", sb.Version)
	case algo != "sha256":
		return VerityInfo{}, fmt.Errorf("dm-verity hash %q is not supported (only sha256)", algo)
	case int(sb.SaltSize) > len(sb.Salt):
		return VerityInfo{}, fmt.Errorf("dm-verity salt size %d is too large", sb.SaltSize)
	case sb.DataBlockSize != sb.HashBlockSize:
		return VerityInfo{}, fmt.Errorf("dm-verity block sizes %d/%d differ", sb.DataBlockSize, sb.HashBlockSize)
	}
	// The sizes are the host's: bound them before one sizes a buffer, and
	// divide rather than multiply so that no count wraps around to match.
	if err := checkBlockSize(sb.DataBlockSize); err != nil {
		return VerityInfo{}, fmt.Errorf("dm-verity superblock: %w", err)
	}
	if bs := int64(sb.DataBlockSize); dataSize == 0 || dataSize%bs != 0 || sb.DataBlocks != uint64(dataSize/bs) {
		return VerityInfo{}, fmt.Errorf("dm-verity covers %d blocks of %d bytes, the file system %d bytes", sb.DataBlocks, sb.DataBlockSize, dataSize)
	}
	salt := sb.Salt[:sb.SaltSize]
	top := make([]byte, sb.HashBlockSize)
	if _, err := r.ReadAt(top, dataSize+veritySuperblockSize); err != nil {
		return VerityInfo{}, fmt.Errorf("read dm-verity hash tree: %w", err)
	}
	h := sha256.New()
	h.Write(salt)
	h.Write(top)
	return VerityInfo{
		DataSize:   dataSize,
		BlockSize:  sb.DataBlockSize,
		DataBlocks: sb.DataBlocks,
		Version:    sb.Version,
		Algorithm:  algo,
		Salt:       hex.EncodeToString(salt),
		RootDigest: hex.EncodeToString(h.Sum(nil)),
	}, nil
}

// ext4Size reads the size of the ext4 file system at the start of r.
func ext4Size(r io.ReaderAt) (int64, error) {
	sb := make([]byte, 64)
	if _, err := r.ReadAt(sb, ext4SuperblockOffset); err != nil {
		return 0, fmt.Errorf("read ext4 superblock: %w", err)
	}
	if binary.LittleEndian.Uint16(sb[56:]) != ext4Magic {
		return 0, errors.New("no ext4 file system at the start of the device")
	}
	blocks := int64(binary.LittleEndian.Uint32(sb[4:]))
	logSize := binary.LittleEndian.Uint32(sb[24:])
	if logSize > 6 {
		return 0, fmt.Errorf("ext4 block size 2^%d KiB is not supported", logSize)
	}
	return blocks * (1024 << logSize), nil
}

// AppendVerity writes, after the dataSize bytes of file system in f, a
// veritysetup superblock and the hash tree of that data (sha256, blocks of
// blockSize, the given salt), as host tooling lays out a layer image, and
// returns the root digest in hex.
func AppendVerity(f interface {
	io.ReaderAt
	io.WriterAt
}, dataSize int64, blockSize uint32, salt []byte) (string, error) {
	if len(salt) > 256 {
		return "", fmt.Errorf("salt of %d bytes is too long", len(salt))
	}
	tree, err := BuildVerityTree(io.NewSectionReader(f, 0, dataSize), dataSize, blockSize, salt)
	if err != nil {
		return "", err
	}
	sb := veritySuperblock{Version: 1, HashType: 1, DataBlockSize: blockSize, HashBlockSize: blockSize,
		DataBlocks: tree.DataBlocks, SaltSize: uint16(len(salt))}
	copy(sb.Signature[:], veritySignature)
	copy(sb.Algorithm[:], "sha256")
	copy(sb.Salt[:], salt)
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, &sb); err != nil {
		return "", err
	}
	block := make([]byte, veritySuperblockSize)
	copy(block, buf.Bytes())
	if _, err := f.WriteAt(block, dataSize); err != nil {
		return "", fmt.Errorf("write dm-verity superblock: %w", err)
	}
	if _, err := f.WriteAt(tree.Tree, dataSize+veritySuperblockSize); err != nil {
		return "", fmt.Errorf("write dm-verity hash tree: %w", err)
	}
	return hex.EncodeToString(tree.RootDigest), nil
}

// Target returns the dm-verity table of the layer on device (data and
// tree on the same device, the tree after the superblock block).
func (i VerityInfo) Target(device string) Verity {
	return Verity{
		DataDevice: device, HashDevice: device,
		DataBlockSize: i.BlockSize, HashBlockSize: i.BlockSize,
		DataBlocks: i.DataBlocks,
		HashOffset: uint64(i.DataSize) + veritySuperblockSize,
		Algorithm:  i.Algorithm, RootDigest: i.RootDigest, Salt: i.Salt,
	}
}
