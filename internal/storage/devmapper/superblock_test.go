package devmapper

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
