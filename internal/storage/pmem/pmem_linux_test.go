package pmem

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/devmapper"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

const layerSize = 16 << 20

// env is a fake /dev whose pmem<N> nodes link to loop devices, and a root
// for mount points.
type env struct {
	dev, root string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return &env{dev: t.TempDir(), root: t.TempDir()}
}

// addDevice makes image VPMem device n.
func (e *env) addDevice(t *testing.T, n uint32, image []byte) {
	t.Helper()
	loop := mounttest.Loop(t, mounttest.ImageFile(t, image), mounttest.LoopOptions{ReadOnly: true})
	if err := os.Symlink(loop, DevicePath(e.dev, n)); err != nil {
		t.Fatal(err)
	}
}

func (e *env) options(t *testing.T, m *prot.LCOWVPMemMappingInfo, v *prot.DeviceVerityInfo) Options {
	return Options{MappingInfo: m, Verity: v, DevRoot: e.dev, AllowedRoots: []string{e.root}, Log: testutil.Logger(t)}
}

// mount mounts device n at a fresh target and registers its unmount.
func (e *env) mount(t *testing.T, n uint32, name string, o Options) (string, error) {
	t.Helper()
	target := filepath.Join(e.root, "layers", name)
	err := Mount(t.Context(), n, target, o)
	if err == nil {
		t.Cleanup(func() {
			if err := Unmount(context.Background(), n, target, o); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	return target, err
}

// assertLayer checks target is a read-only ext4 mount holding file with
// content.
func assertLayer(t *testing.T, target, file, content string) {
	t.Helper()
	m, ok := mounttest.Mounted(t, target)
	if !ok {
		t.Fatalf("%s not mounted", target)
	}
	if m.FSType != "ext4" || !strings.HasPrefix(m.Options, "ro") || !strings.Contains(m.SuperOptions, "norecovery") {
		t.Errorf("mount %s %q %q, want read-only ext4 with noload", m.FSType, m.Options, m.SuperOptions)
	}
	if b, err := os.ReadFile(filepath.Join(target, file)); err != nil || string(b) != content {
		t.Fatalf("%s reads %q (%v), want %q", file, b, err, content)
	}
	if err := os.WriteFile(filepath.Join(target, "new"), nil, 0o644); err == nil {
		t.Error("wrote to a read-only layer")
	}
}

func TestMountPlain(t *testing.T) {
	mounttest.RequireRoot(t)
	e := newEnv(t)
	e.addDevice(t, 3, mounttest.Ext4Image(t, layerSize, map[string]string{"layer.txt": "plain"}))
	o := e.options(t, nil, nil)
	target, err := e.mount(t, 3, "plain", o)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := mounttest.Mounted(t, target); m.Source != DevicePath(e.dev, 3) {
		t.Errorf("mounted %s, want %s", m.Source, DevicePath(e.dev, 3))
	}
	assertLayer(t, target, "layer.txt", "plain")
	for range 2 { // a repeated Remove succeeds
		if err := Unmount(t.Context(), 3, target, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := mounttest.Mounted(t, target); ok {
		t.Fatal("still mounted")
	}
	if fi, err := os.Lstat(target); err != nil || !fi.IsDir() {
		t.Errorf("the mount point is its maker's to remove: %v", err)
	}
}

func TestMountRefused(t *testing.T) {
	mounttest.RequireRoot(t)
	e := newEnv(t)
	e.addDevice(t, 0, mounttest.Ext4Image(t, layerSize, nil))
	digest := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name    string
		n       uint32
		target  string
		m       *prot.LCOWVPMemMappingInfo
		v       *prot.DeviceVerityInfo
		wantErr string
	}{
		{"missing device", 7, "", nil, nil, "pmem7"},
		{"outside the roots", 0, "/tmp/elsewhere/pmem", nil, nil, "not below any allowed root"},
		{"unaligned mapping", 0, "", &prot.LCOWVPMemMappingInfo{DeviceOffsetInBytes: 100, DeviceSizeInBytes: 4096}, nil, "multiples of 512"},
		{"empty mapping", 0, "", &prot.LCOWVPMemMappingInfo{DeviceOffsetInBytes: 4096}, nil, "multiples of 512"},
		{"verity version", 0, "", nil, &prot.DeviceVerityInfo{Version: 2, Ext4SizeInBytes: layerSize, RootDigest: digest}, "version 2"},
		{"verity size", 0, "", nil, &prot.DeviceVerityInfo{Ext4SizeInBytes: layerSize + 1, RootDigest: digest}, "multiple of the block size"},
		{"verity digest", 0, "", nil, &prot.DeviceVerityInfo{Ext4SizeInBytes: layerSize, RootDigest: "not-hex"}, "not hexadecimal"},
		{"verity salt", 0, "", nil, &prot.DeviceVerityInfo{Ext4SizeInBytes: layerSize, RootDigest: digest, Salt: "zz"}, "salt"},
		{"verity block size", 0, "", nil, &prot.DeviceVerityInfo{Ext4SizeInBytes: layerSize, RootDigest: digest, BlockSize: 1000}, "power of two"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			if target == "" {
				target = filepath.Join(e.root, "refused")
			}
			err := Mount(t.Context(), tc.n, target, e.options(t, tc.m, tc.v))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
			if _, ok := mounttest.Mounted(t, target); ok {
				t.Fatal("mounted anyway")
			}
		})
	}
}

// verityImage returns image followed, with superBlock after a 4 KiB block
// of padding, by its hash tree, and the settings that describe it.
func verityImage(t *testing.T, image []byte, salt string, superBlock bool) ([]byte, *prot.DeviceVerityInfo) {
	t.Helper()
	s, _ := hex.DecodeString(salt)
	vt, err := devmapper.BuildVerityTree(bytes.NewReader(image), int64(len(image)), 4096, s)
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(image)
	if superBlock {
		out = append(out, make([]byte, 4096)...)
	}
	out = append(out, vt.Tree...)
	return out, &prot.DeviceVerityInfo{
		Ext4SizeInBytes: int64(len(image)), Version: 1, Algorithm: "sha256", SuperBlock: superBlock,
		RootDigest: hex.EncodeToString(vt.RootDigest), Salt: salt, BlockSize: 4096,
	}
}
