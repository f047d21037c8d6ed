package devmapper

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
)

// ext4File makes an ext4 file system of size bytes (4 KiB blocks) in a
// file with room for dm-verity after it, and returns the file.
func ext4File(t *testing.T, size int64) *os.File {
	t.Helper()
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		t.Skip("no mkfs.ext4")
	}
	p := filepath.Join(t.TempDir(), "layer.img")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, size); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(mkfs, "-q", "-F", "-b", "4096", p).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v: %s", err, out)
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestReadVerityInfoOfAppendVerity(t *testing.T) {
	const size = 4 << 20
	f := ext4File(t, size)
	root, err := AppendVerity(f, size, 4096, []byte{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	info, err := ReadVerityInfo(f)
	if err != nil {
		t.Fatal(err)
	}
	want := VerityInfo{DataSize: size, BlockSize: 4096, DataBlocks: size / 4096, Version: 1,
		Algorithm: "sha256", Salt: "01020304", RootDigest: root}
	if info != want {
		t.Fatalf("read %+v, want %+v", info, want)
	}
}

// veritysetup writes the superblock and tree itself; the root digest the
// guest computes must be the one it prints.
func TestReadVerityInfoMatchesVeritysetup(t *testing.T) {
	vs, err := exec.LookPath("veritysetup")
	if err != nil {
		t.Skip("no veritysetup")
	}
	const size = 8 << 20
	f := ext4File(t, size)
	f.Close()
	out, err := exec.Command(vs, "format", "--hash-offset=8388608", "--salt=abcdef0123",
		f.Name(), f.Name()).CombinedOutput()
	if err != nil {
		t.Fatalf("veritysetup format: %v: %s", err, out)
	}
	m := regexp.MustCompile(`Root hash:\s+([0-9a-f]{64})`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no root hash in %s", out)
	}
	g, err := os.Open(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	info, err := ReadVerityInfo(g)
	if err != nil {
		t.Fatal(err)
	}
	if info.RootDigest != string(m[1]) || info.Salt != "abcdef0123" || info.DataSize != size {
		t.Fatalf("read %+v, veritysetup says root %s", info, m[1])
	}
}

func TestReadVerityInfoRefuses(t *testing.T) {
	plain := ext4File(t, 4<<20)
	if err := plain.Truncate(5 << 20); err != nil {
		t.Fatal(err)
	}
	notExt4, err := os.Create(filepath.Join(t.TempDir(), "zero"))
	if err != nil {
		t.Fatal(err)
	}
	defer notExt4.Close()
	if err := notExt4.Truncate(1 << 20); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*os.File{"no superblock": plain, "not ext4": notExt4} {
		if _, err := ReadVerityInfo(f); err == nil {
			t.Errorf("%s: read dm-verity info", name)
		}
	}
}

// hostileImage is a layer image as a hostile host may hand it over: an
// ext4 superblock saying the file system has ext4Blocks blocks of
// 1 KiB << ext4LogBlock, sb after them, then tail zero bytes (where the
// top block of the tree would be).
func hostileImage(t *testing.T, ext4Blocks, ext4LogBlock uint32, sb veritySuperblock, tail int) []byte {
	t.Helper()
	dataSize := int(ext4Blocks) * (1024 << ext4LogBlock)
	img := make([]byte, max(dataSize, 2048)+veritySuperblockSize+tail)
	binary.LittleEndian.PutUint32(img[ext4SuperblockOffset+4:], ext4Blocks)
	binary.LittleEndian.PutUint32(img[ext4SuperblockOffset+24:], ext4LogBlock)
	binary.LittleEndian.PutUint16(img[ext4SuperblockOffset+56:], ext4Magic)
	sb.Version, sb.HashType = 1, 1
	copy(sb.Signature[:], veritySignature)
	copy(sb.Algorithm[:], "sha256")
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, &sb); err != nil {
		t.Fatal(err)
	}
	copy(img[dataSize:], buf.Bytes())
	return img
}

// TestReadVerityInfoRefusesHostileSuperblock: the block sizes and count in
// a veritysetup superblock come from the host's disk. ReadVerityInfo must
// refuse a block size dm-verity would not take before it sizes an
// allocation by it (2 GiB for an 8 KiB image otherwise), and a block count
// whose product with the block size wraps around to match the file
// system's size.
func TestReadVerityInfoRefusesHostileSuperblock(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		ext4Blocks, ext4LogBlock uint32
		sb                       veritySuperblock
		tail                     int
	}{
		{name: "2 GiB blocks, count wrapping to 0",
			sb: veritySuperblock{DataBlockSize: 1 << 31, HashBlockSize: 1 << 31, DataBlocks: 1 << 33}, tail: 4096},
		{name: "64 KiB blocks", ext4Blocks: 1, ext4LogBlock: 6,
			sb: veritySuperblock{DataBlockSize: 1 << 16, HashBlockSize: 1 << 16, DataBlocks: 1}, tail: 1 << 16},
		{name: "count wrapping to 0",
			sb: veritySuperblock{DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: 1 << 52}, tail: 4096},
		{name: "count wrapping to the file system size", ext4Blocks: 4,
			sb: veritySuperblock{DataBlockSize: 4096, HashBlockSize: 4096, DataBlocks: 1<<52 + 1}, tail: 4096},
		{name: "empty file system",
			sb: veritySuperblock{DataBlockSize: 4096, HashBlockSize: 4096}, tail: 4096},
		{name: "blocks below 512", ext4Blocks: 1,
			sb: veritySuperblock{DataBlockSize: 256, HashBlockSize: 256, DataBlocks: 4}, tail: 4096},
		{name: "blocks not a power of two", ext4Blocks: 3,
			sb: veritySuperblock{DataBlockSize: 3072, HashBlockSize: 3072, DataBlocks: 1}, tail: 4096},
		{name: "data and hash blocks differ", ext4Blocks: 4,
			sb: veritySuperblock{DataBlockSize: 4096, HashBlockSize: 1 << 31, DataBlocks: 1}, tail: 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := hostileImage(t, tc.ext4Blocks, tc.ext4LogBlock, tc.sb, tc.tail)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			info, err := ReadVerityInfo(bytes.NewReader(img))
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Errorf("read %+v", info)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("allocated %d bytes for a %d-byte image", alloc, len(img))
			}
		})
	}
}
