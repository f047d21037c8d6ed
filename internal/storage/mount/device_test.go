package mount

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

func TestProbe(t *testing.T) {
	ext := make([]byte, 4096)
	binary.LittleEndian.PutUint16(ext[1080:], 0xEF53)
	xfs := append([]byte("XFSB"), make([]byte, 4092)...)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"ext4", ext, Ext4},
		{"xfs", xfs, XFS},
		{"blank", make([]byte, 4096), ""},
		{"short", []byte("XF"), ""},
		{"empty", nil, ""},
		{"other magic", bytes.Repeat([]byte{0x53, 0xEE}, 2048), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "dev")
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := Probe(p)
			if err != nil || got != tc.want {
				t.Fatalf("Probe = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := Probe(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("Probe of a missing device succeeded")
	}
}
