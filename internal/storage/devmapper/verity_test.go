package devmapper

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testData returns n deterministic 4 KiB blocks.
func testData(n int) []byte {
	data := make([]byte, n*4096)
	for i := range data {
		data[i] = byte(i/4096*7 + i%13)
	}
	return data
}

// The roots were computed with `veritysetup format --no-superblock`;
// TestBuildVerityTreeMatchesVeritysetup recomputes them where it exists.
func TestBuildVerityTree(t *testing.T) {
	for _, tc := range []struct {
		name     string
		blocks   int
		salt     string
		root     string
		treeSize int
	}{
		{"one block", 1, "", "82ad9bc59e6bca3c85590f6cd579bc4f804a7200b5e2ef2b5eba25bfecd4fff4", 0},
		{"two blocks", 2, "00112233", "f581ecc0640ce583ef83a8ecd9cb609076af95ddfa669d6faa705b533b19b057", 4096},
		{"full level", 128, "", "dc417c2dbb3fa16113e364b9acb8b494fe089019d0fc41274f74be603909dd62", 4096},
		{"two levels", 129, "00112233", "6cc5db6bea6485efd65f67f8307a8a24e7d1dc66567e27e5b8d549993649f803", 3 * 4096},
		{"three levels", 16385, "", "3f376c7653156247c0371b637fc1193bf2b34f61de18c6b994ca2bdb08ad216c", (1 + 2 + 129) * 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			salt, _ := hex.DecodeString(tc.salt)
			data := testData(tc.blocks)
			vt, err := BuildVerityTree(bytes.NewReader(data), int64(len(data)), 4096, salt)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(vt.RootDigest); got != tc.root {
				t.Errorf("root digest %s, want %s", got, tc.root)
			}
			if len(vt.Tree) != tc.treeSize {
				t.Errorf("tree is %d bytes, want %d", len(vt.Tree), tc.treeSize)
			}
			if vt.DataBlocks != uint64(tc.blocks) {
				t.Errorf("DataBlocks %d, want %d", vt.DataBlocks, tc.blocks)
			}
		})
	}
}

func TestBuildVerityTreeMatchesVeritysetup(t *testing.T) {
	vs, err := exec.LookPath("veritysetup")
	if err != nil {
		t.Skip("veritysetup is not installed; the golden roots of TestBuildVerityTree still apply")
	}
	for _, blocks := range []int{1, 2, 128, 129, 16385} {
		for _, salt := range []string{"", "00112233"} {
			dir := t.TempDir()
			data := testData(blocks)
			dataPath, hashPath := filepath.Join(dir, "data"), filepath.Join(dir, "hash")
			if err := os.WriteFile(dataPath, data, 0o644); err != nil {
				t.Fatal(err)
			}
			s := salt
			if s == "" {
				s = "-"
			}
			out, err := exec.Command(vs, "format", "--no-superblock", "--salt="+s, dataPath, hashPath).CombinedOutput()
			if err != nil {
				t.Fatalf("veritysetup: %v\n%s", err, out)
			}
			var want string
			for _, l := range strings.Split(string(out), "\n") {
				if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "Root hash" {
					want = strings.TrimSpace(v)
				}
			}
			sb, _ := hex.DecodeString(salt)
			vt, err := BuildVerityTree(bytes.NewReader(data), int64(len(data)), 4096, sb)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(vt.RootDigest); got != want {
				t.Errorf("%d blocks, salt %q: root %s, veritysetup says %s", blocks, salt, got, want)
			}
			tree, err := os.ReadFile(hashPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tree, vt.Tree) {
				t.Errorf("%d blocks, salt %q: tree (%d bytes) differs from veritysetup's (%d bytes)", blocks, salt, len(vt.Tree), len(tree))
			}
			t.Logf("%d blocks, salt %q: root %s", blocks, salt, want)
		}
	}
}

func TestBuildVerityTreeErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		size      int64
		blockSize uint32
		want      string
	}{
		{"partial block", 4097, 4096, "multiple"},
		{"empty", 0, 4096, "multiple"},
		{"odd block size", 4096, 3000, "power of two"},
		{"short data", 8192, 4096, "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BuildVerityTree(bytes.NewReader(make([]byte, 4096)), tc.size, tc.blockSize, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
